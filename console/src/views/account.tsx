/**
 * Account (docs/console.md, "Account"): figures, the equity curve of the period with its floors and
 * violations, trades, violations, enforcement, access (session token, credentials, problem),
 * rules (with versions where the server has them), objectives, proposed adjustments (balance
 * operations to confirm or dismiss), adjustments, audit, share links, and the actions the role may take, each asking for a reason. The view reads the
 * API and holds the state; each section is its own component (views/account/).
 */
import { useState } from "preact/hooks";
import { api, get, getOptional, query } from "../api.ts";
import { ShareLinks } from "../components/share-links.tsx";
import { useNow, usePoll } from "../poll.ts";
import { canAdminister, canOperate } from "../roles.ts";
import type {
  Account,
  Adjustment,
  AuditEntry,
  EquityPoint,
  Page,
  Role,
  RulesVersion,
  Violation,
} from "../types.ts";
import { ActionDialog, type Action } from "./account/action-dialog.tsx";
import { EquitySection, PERIODS, type Period } from "./account/equity.tsx";
import { AccessSection } from "./account/access.tsx";
import { EnforcementSection } from "./account/enforcement.tsx";
import { AccountFigures } from "./account/figures.tsx";
import { AccountHeader, ActionsBar } from "./account/header.tsx";
import { AuditSection, ViolationsSection } from "./account/history.tsx";
import { AdjustmentsSection, ObjectivesSection, RulesSection } from "./account/rules.tsx";
import { ProposalsSection } from "./account/proposals.tsx";
import { TradesSection } from "./account/trades.tsx";

export function AccountView({ id, role }: { id: number; role: Role }) {
  const [period, setPeriod] = useState<Period>("day");
  const [action, setAction] = useState<Action | null>(null);
  const [amount, setAmount] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const now = useNow();

  const account = usePoll(() => get<Account>(`/v1/accounts/${id}`), 2000, [id]);
  const equity = usePoll(
    () => {
      const span = PERIODS[period];
      const from = new Date(span === null ? 0 : Date.now() - span).toISOString();
      return get<{ items: EquityPoint[] }>(`/v1/accounts/${id}/equity${query({ from })}`);
    },
    5000,
    [id, period],
  );
  const violations = usePoll(
    () => get<Page<Violation>>(`/v1/accounts/${id}/violations?limit=100`),
    5000,
    [id],
  );
  const extras = usePoll(
    async () => {
      const [rules, audit, adjustments] = await Promise.all([
        getOptional<{ items: RulesVersion[] }>(`/v1/accounts/${id}/rules`),
        getOptional<Page<AuditEntry>>(`/v1/audit${query({ account_id: id, limit: 50 })}`),
        getOptional<{ items: Adjustment[] }>(`/v1/accounts/${id}/adjustments`),
      ]);
      return { rules, audit, adjustments };
    },
    15_000,
    [id],
  );

  const a = account.data;
  if (account.error && !a)
    return (
      <p class="error">
        Could not load account {id}: {account.error.message}
      </p>
    );
  if (!a) return <p class="loading">Loading account {id}...</p>;

  const run = async (reason: string) => {
    const body = { reason };
    const r = encodeURIComponent(reason);
    if (action === "reset") await api("POST", `/v1/accounts/${id}/reset`, body);
    if (action === "live") await api("POST", `/v1/accounts/${id}/live`, body);
    if (action === "release") await api("DELETE", `/v1/accounts/${id}/live?reason=${r}`);
    if (action === "poll") await api("POST", "/v1/poll", { account_ids: [id], reason });
    if (action === "adjust")
      await api("POST", `/v1/accounts/${id}/adjustments`, {
        amount: Number(amount),
        note: reason,
        reason,
      });
    setNotice(`${action} done`);
    account.reload();
    equity.reload();
    extras.reload();
  };
  // Each optional part: undefined while loading, null when this server does not have it.
  const part = <T,>(list: { items: T[] } | null | undefined) =>
    extras.data ? (list?.items ?? null) : undefined;

  return (
    <section aria-labelledby="account-title" data-account-id={a.id}>
      <AccountHeader account={a} />
      {canOperate(role) && <ActionsBar account={a} notice={notice} onAction={setAction} />}
      <AccountFigures account={a} now={now} />
      <EquitySection
        period={period}
        onPeriod={setPeriod}
        points={equity.data?.items ?? null}
        violations={violations.data?.items ?? []}
      />
      <TradesSection accountId={a.id} violations={violations.data?.items ?? []} />
      <div class="columns">
        <div>
          <ViolationsSection violations={violations.data?.items ?? null} />
          <EnforcementSection accountId={a.id} administer={canAdminister(role)} />
          <h2>Share links</h2>
          <ShareLinks accountId={a.id} operate={canOperate(role)} />
          <AuditSection audit={part(extras.data?.audit)} />
        </div>
        <div>
          <AccessSection
            account={a}
            now={now}
            operate={canOperate(role)}
            administer={canAdminister(role)}
            onChanged={() => {
              account.reload();
              extras.reload();
            }}
          />
          <RulesSection account={a} versions={part(extras.data?.rules)} />
          <ObjectivesSection account={a} />
          <ProposalsSection
            accountId={a.id}
            operate={canOperate(role)}
            onChanged={() => {
              account.reload();
              equity.reload();
              extras.reload();
            }}
          />
          <AdjustmentsSection adjustments={part(extras.data?.adjustments)} />
        </div>
      </div>
      {action && (
        <ActionDialog
          action={action}
          amount={amount}
          onAmount={setAmount}
          onConfirm={run}
          onClose={() => setAction(null)}
        />
      )}
    </section>
  );
}
