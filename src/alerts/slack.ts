/**
 * One line of text per event, for `format: "slack"` endpoints. Pure. Account data (login,
 * server, label, notes) is escaped as Slack asks (`&`, `<`, `>`), so a label cannot ping a
 * channel or hide a link (docs/alerts.md).
 */
import type { AccountRef, EventData, MessagePayload } from "../domain/alert-events.ts";

/** Text for Slack's mrkdwn: `&`, `<` and `>` as entities (its control characters). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function who(a: AccountRef): string {
  return slackEscape(`${a.login}@${a.server}${a.label ? ` (${a.label})` : ""}`);
}

function money(n: number): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

/** The Slack `text` of a message. */
export function slackText(p: MessagePayload): string {
  switch (p.type) {
    case "violation.recorded": {
      const d = p.data as EventData["violation.recorded"];
      const v = d.violation;
      return `:rotating_light: Breach: ${who(d.account)} broke ${slackEscape(v.rule)} (${slackEscape(v.period)}): equity ${money(v.equity)} below floor ${money(v.floor)}, usage ${v.usage.toFixed(1)}%`;
    }
    case "account.warning": {
      const d = p.data as EventData["account.warning"];
      return `:warning: Warning: ${who(d.account)} reached ${d.level}% of ${d.rule} (${d.period}): usage ${d.usage.toFixed(1)}%, equity ${money(d.equity)}, floor ${money(d.floor)}`;
    }
    case "account.live_entered":
    case "account.live_exited": {
      const d = p.data as EventData["account.live_entered"];
      const verb = p.type === "account.live_entered" ? "entered" : "left";
      const usage = d.usage ? `, usage ${d.usage.overall.toFixed(1)}%` : "";
      return `${who(d.account)} ${verb} live monitoring (${d.reason}${usage})`;
    }
    case "account.problem": {
      const d = p.data as EventData["account.problem"];
      return d.problem
        ? `:warning: ${who(d.account)}: problem ${slackEscape(d.problem)}`
        : `${who(d.account)}: problem ${slackEscape(d.detail.problem)} cleared`;
    }
    case "account.objectives_met": {
      const d = p.data as EventData["account.objectives_met"];
      return `:tada: ${who(d.account)} met all objectives`;
    }
    case "account.adjusted": {
      const d = p.data as EventData["account.adjusted"];
      const a = d.adjustment;
      const what = a.amount < 0 ? "withdrawal" : "deposit";
      const note = a.note ? `: ${slackEscape(a.note)}` : "";
      return `${who(d.account)}: ${what} of ${money(Math.abs(a.amount))} by ${slackEscape(a.actor)}${note}`;
    }
    case "enforcement.started":
    case "enforcement.completed":
    case "enforcement.failed": {
      const d = p.data as EventData["enforcement.started"];
      const a = d.action;
      const mode = a.dry_run ? " (dry run)" : "";
      const why = a.failure ? `: ${slackEscape(a.failure)}` : "";
      return `${p.type === "enforcement.failed" ? ":rotating_light: " : ""}Enforcement ${p.type.slice(12)}${mode} on account ${d.account_id}, ${a.steps.length} steps${why}`;
    }
    case "account.locked":
    case "account.unlocked": {
      const d = p.data as EventData["account.locked"];
      return `Account ${d.account_id} ${p.type === "account.locked" ? "locked" : "unlocked"}`;
    }
    case "monitor.degraded":
    case "monitor.recovered": {
      const d = p.data as EventData["monitor.degraded"];
      const reasons = d.reasons.length ? `: ${d.reasons.join(", ")}` : "";
      return `Monitor ${p.type === "monitor.degraded" ? "degraded" : "recovered"} (${d.health})${reasons}`;
    }
    case "webhook.test":
      return "Drawdown Sentinel test message";
  }
}
