/**
 * The enforcement webhooks (docs/enforcement.md, "Alerts"): `enforcement.started`,
 * `.completed`, `.failed` with the action and its evidence, `account.locked`,
 * `account.unlocked`. Message ids are derived from the action (or account and time), so a
 * resumed run never announces the same thing twice (the outbox keeps one message per id).
 */
import { recordAlerts, sendAlerts, type Writer } from "../alerts/record.ts";
import type { AlertInput, EnforcementActionData } from "../domain/alert-events.ts";
import type { ActionState } from "../domain/enforcement/action.ts";
import { actionEvidence } from "../domain/enforcement/evidence.ts";

const CODES = { "enforcement.started": 1, "enforcement.completed": 2, "enforcement.failed": 3 };

/** `msg_` and 32 hex digits, fixed per (action, event). */
export function actionMessageId(actionId: number, type: keyof typeof CODES): string {
  return `msg_${`e${CODES[type]}${actionId.toString(16)}`.padStart(32, "0")}`;
}

export function actionData(
  id: number,
  s: ActionState,
  floor: number | null,
): EnforcementActionData {
  const ev = actionEvidence(s, floor);
  return {
    id,
    kind: ev.kind,
    dry_run: ev.dry_run,
    state: ev.state,
    failure: ev.failure,
    equity_before: ev.equity_before,
    equity_after: ev.equity_after,
    slippage: ev.slippage,
    steps: ev.steps,
  };
}

/** Records (once per id) and nudges delivery of an action's event. */
export async function announceAction(
  db: Writer,
  type: keyof typeof CODES,
  accountId: number,
  actionId: number,
  s: ActionState,
  floor: number | null,
): Promise<void> {
  const alert: AlertInput = {
    type,
    id: actionMessageId(actionId, type),
    data: { account_id: accountId, action: actionData(actionId, s, floor) },
  };
  await sendAlerts(await recordAlerts(db, [alert]));
}
