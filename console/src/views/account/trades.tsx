/**
 * The account's trades (docs/console.md, "Account"; docs/trades.md, "API"): open or closed,
 * newest first, 50 a page, each with the violations it caused (by rule and severity, from the
 * account's violations already loaded; an id beyond them is shown as its number).
 */
import { useState } from "preact/hooks";
import { get, query } from "../../api.ts";
import { Grid, Pager, num, useCursorPages } from "../../components/grid.tsx";
import { fmtMoney, fmtTime } from "../../format.ts";
import { usePoll } from "../../poll.ts";
import type { Page, Trade, Violation } from "../../types.ts";

type Filter = "open" | "closed" | "";

const price = (v: number | null) => (v === null ? "-" : String(v));

export function TradesSection({
  accountId,
  violations,
}: {
  accountId: number;
  violations: Violation[];
}) {
  const [state, setState] = useState<Filter>("open");
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const list = usePoll(
    () =>
      get<Page<Trade>>(`/v1/accounts/${accountId}/trades${query({ state, limit: 50, cursor })}`),
    cursor === null ? 5000 : null,
    [accountId, state, cursor],
  );
  const byId = new Map(violations.map((v) => [v.id, v]));
  const rows = list.data?.items ?? [];
  return (
    <div id="trades">
      <div class="toolbar">
        <h2>Trades</h2>
        <div role="tablist" aria-label="Trades" class="tabs">
          {(["open", "closed", ""] as const).map((s) => (
            <button
              type="button"
              role="tab"
              aria-selected={s === state}
              onClick={() => {
                setState(s);
                pages.reset();
              }}
            >
              {s || "all"}
            </button>
          ))}
        </div>
        {list.error && <span class="error">{list.error.message}</span>}
      </div>
      <Grid
        compact
        label="Trades, newest first"
        columns={[
          "Ticket",
          "Symbol",
          "Side",
          num("Lots"),
          "Opened",
          num("Open"),
          "Closed",
          num("Close"),
          num("SL"),
          num("TP"),
          num("Profit"),
          "Violations",
        ]}
        empty={list.data !== null && rows.length === 0}
        emptyText={state === "open" ? "No open trades." : "No trades."}
      >
        {rows.map((t) => (
          <tr key={`${t.ticket}@${t.open_time}`} data-ticket={t.ticket} data-trade-state={t.state}>
            <td class="mono">{t.ticket}</td>
            <td>{t.symbol}</td>
            <td>
              {t.side}
              {t.state === "vanished" ? " (vanished)" : ""}
            </td>
            <td class="num">{t.lots}</td>
            <td>{fmtTime(t.open_time)}</td>
            <td class="num">{price(t.open_price)}</td>
            <td>{fmtTime(t.close_time)}</td>
            <td class="num">{price(t.close_price)}</td>
            <td class="num">{t.stop_loss === 0 ? "none" : t.stop_loss}</td>
            <td class="num">{t.take_profit === 0 ? "-" : t.take_profit}</td>
            <td
              class={`num ${t.profit + t.swap + t.commission < 0 ? "neg" : ""}`}
              title={`profit ${fmtMoney(t.profit)}, swap ${fmtMoney(t.swap)}, commission ${fmtMoney(t.commission)}`}
            >
              {fmtMoney(t.profit + t.swap + t.commission)}
            </td>
            <td data-trade-violations={t.violations.join(",")}>
              {t.violations.map((id) => {
                const v = byId.get(id);
                return (
                  <span
                    key={id}
                    class="badge"
                    title={v ? `${v.severity}, ${fmtTime(v.detected_at)}` : `violation ${id}`}
                  >
                    {v ? `${v.rule} · ${v.severity}` : `#${id}`}
                  </span>
                );
              })}
            </td>
          </tr>
        ))}
      </Grid>
      {(pages.page > 1 || list.data?.next_cursor) && (
        <Pager pages={pages} nextCursor={list.data?.next_cursor} />
      )}
    </div>
  );
}
