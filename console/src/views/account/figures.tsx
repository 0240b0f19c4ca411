/** The account's figures: equity, balance, floors, distance to floor, usage, day and reading. */
import { UsageBars } from "../../components/usage-bars.tsx";
import { fmtAge, fmtMoney } from "../../format.ts";
import type { Account } from "../../types.ts";

export function AccountFigures({ account: a, now }: { account: Account; now: number }) {
  const m = a.metrics;
  return (
    <dl class="figures">
      <div>
        <dt>Equity</dt>
        <dd>{fmtMoney(m?.equity)}</dd>
      </div>
      <div>
        <dt>Balance</dt>
        <dd>{fmtMoney(m?.balance)}</dd>
      </div>
      <div>
        <dt>Daily floor</dt>
        <dd>{fmtMoney(m?.daily_floor)}</dd>
      </div>
      <div>
        <dt>Max floor</dt>
        <dd>{fmtMoney(m?.max_floor)}</dd>
      </div>
      <div>
        <dt>To floor</dt>
        <dd class={(a.distance_to_floor ?? 1) < 0 ? "neg" : ""}>{fmtMoney(a.distance_to_floor)}</dd>
      </div>
      <div class="wide">
        <dt>Usage</dt>
        <dd>
          {m ? (
            <UsageBars daily={m.usage.daily} max={m.usage.max} liveAt={a.rules.live_enter_pct} />
          ) : (
            "-"
          )}
        </dd>
      </div>
      <div>
        <dt>Trading day</dt>
        <dd>{m?.trading_day ?? "-"}</dd>
      </div>
      <div>
        <dt>Reading</dt>
        <dd>{m ? `${fmtAge(m.updated_at, now)} ago (${m.source})` : "-"}</dd>
      </div>
    </dl>
  );
}
