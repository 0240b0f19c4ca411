/** The strip of accounts breached in the last 24 hours: they leave the default (active) listing. */
import { fmtAge, fmtMoney } from "../../format.ts";
import type { Violation } from "../../types.ts";

export function BreachStrip({ breaches, now }: { breaches: Violation[]; now: number }) {
  if (breaches.length === 0) return null;
  return (
    <div class="breaches" aria-label="Breached in the last 24 hours">
      <span class="muted">Breached, 24 h:</span>
      {breaches.map((v) => (
        <a
          href={`#/account/${v.account_id}`}
          class="badge breached"
          data-breach-account={v.account_id}
          title={`${v.rule} ${v.period}: equity ${fmtMoney(v.equity)} < floor ${fmtMoney(v.floor)}`}
        >
          #{v.account_id} {v.rule === "daily_loss" ? "daily" : "max"} · {fmtAge(v.detected_at, now)}{" "}
          ago
        </a>
      ))}
    </div>
  );
}
