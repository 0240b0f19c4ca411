/**
 * The trade-rule engine (docs/trades.md, "Trade rules" and "Severity"): an account's trades,
 * calendar and rules in; the violations not yet recorded out, each soft or hard, escalated in
 * the order they happened. Pure and stateless: what is already recorded comes in as keys and
 * counts, so judging the same trades twice records nothing twice.
 */
import { parseCutoff, type Severity, type TradeRuleName, type TradeRules } from "./params.ts";
import { symbolCurrencies } from "./symbols.ts";
import type { TradeJudgeInput, TradeView, TradeViolation } from "./types.ts";
import { cutoffsBetween } from "./weekend.ts";

const DAY_MS = 86_400_000;
const IMPACT_RANK = { low: 0, medium: 1, high: 2 } as const;

/** The key that makes a trade unique: a ticket reused by the broker later is a new trade. */
export function tradeKey(trade: Pick<TradeView, "ticket" | "openMs">): string {
  return `${trade.ticket}@${new Date(trade.openMs).toISOString()}`;
}

/** `rule|period`: how the `recorded` set names a violation. */
export function violationKey(rule: string, period: string): string {
  return `${rule}|${period}`;
}

type Candidate = Omit<TradeViolation, "severity" | "escalated">;

const lossOf = (t: TradeView): number => -(t.profit + t.swap + t.commission);

function limitAmount(limit: number, unit: "percent" | "amount", initialBalance: number): number {
  return unit === "percent" ? (limit / 100) * initialBalance : limit;
}

/** The candidates of every configured rule, recorded or not. */
export function tradeRuleCandidates(rules: TradeRules, input: TradeJudgeInput): Candidate[] {
  const out: Candidate[] = [];
  const now = input.nowMs;
  // Judged as of `now`: what opened later is not yet there, what closed later is still open.
  const positions = input.trades
    .filter((t) => t.kind === "position" && Number.isFinite(t.openMs) && t.openMs <= now)
    .map((t) => (t.closeMs !== null && t.closeMs > now ? { ...t, closeMs: null } : t));
  const open = positions
    .filter((t) => t.closeMs === null)
    .sort((a, b) => a.openMs - b.openMs || a.ticket - b.ticket);
  const closed = positions.filter((t) => t.closeMs !== null);

  const sl = rules.stop_loss_required;
  if (sl !== undefined) {
    const graceMs = sl.grace_s * 1000;
    for (const t of open) {
      if (t.stopLoss === 0 && now - t.openMs >= graceMs) {
        out.push(perTrade("stop_loss_required", t, t.openMs + graceMs, { grace_s: sl.grace_s }));
      }
    }
    // A closed trade never seen with a stop loss, closed with none, held at least the grace.
    for (const t of closed) {
      if (t.stopLoss === 0 && t.stopLossSeenMs === null && t.closeMs! - t.openMs >= graceMs) {
        out.push(perTrade("stop_loss_required", t, t.openMs + graceMs, { grace_s: sl.grace_s }));
      }
    }
  }

  const hold = rules.min_hold_s;
  if (hold !== undefined) {
    for (const t of closed) {
      const heldMs = t.closeMs! - t.openMs;
      if (heldMs >= 0 && heldMs < hold.seconds * 1000) {
        out.push(
          perTrade("min_hold_s", t, t.closeMs!, { held_s: heldMs / 1000, seconds: hold.seconds }),
        );
      }
    }
  }

  const perTradeLoss = rules.max_loss_per_trade;
  if (perTradeLoss !== undefined) {
    const cap = limitAmount(perTradeLoss.limit, perTradeLoss.unit, input.initialBalance);
    for (const t of closed) {
      if (lossOf(t) > cap) {
        out.push(
          perTrade("max_loss_per_trade", t, t.closeMs!, { loss: lossOf(t), cap, state: "closed" }),
        );
      }
    }
    for (const t of open) {
      if (lossOf(t) > cap) {
        out.push(perTrade("max_loss_per_trade", t, now, { loss: lossOf(t), cap, state: "open" }));
      }
    }
  }

  const floating = rules.max_floating_loss_per_symbol;
  if (floating !== undefined) {
    const cap = limitAmount(floating.limit, floating.unit, input.initialBalance);
    const bySymbol = new Map<string, number>();
    for (const t of open) bySymbol.set(t.symbol, (bySymbol.get(t.symbol) ?? 0) + lossOf(t));
    const day = new Date(now).toISOString().slice(0, 10);
    for (const [symbol, loss] of bySymbol) {
      if (loss > cap) {
        out.push({
          rule: "max_floating_loss_per_symbol",
          period: `${symbol}@${day}`,
          ticket: null,
          detectedAtMs: now,
          detail: { symbol, loss, cap },
        });
      }
    }
  }

  const lots = rules.max_lots;
  if (lots !== undefined) {
    // Replayed in opening order: the position that took the total over the cap is the culprit.
    let total = 0;
    const bySymbol = new Map<string, number>();
    for (const t of open) {
      total += t.lots;
      const symbolLots = (bySymbol.get(t.symbol) ?? 0) + t.lots;
      bySymbol.set(t.symbol, symbolLots);
      const overTotal = lots.total !== undefined && total > lots.total + 1e-9;
      const overSymbol = lots.per_symbol !== undefined && symbolLots > lots.per_symbol + 1e-9;
      if (overTotal || overSymbol) {
        out.push(
          perTrade("max_lots", t, t.openMs, {
            total_lots: round6(total),
            symbol_lots: round6(symbolLots),
            cap_total: lots.total ?? null,
            cap_per_symbol: lots.per_symbol ?? null,
          }),
        );
      }
    }
  }

  const maxOpen = rules.max_open_positions;
  if (maxOpen !== undefined) {
    open.forEach((t, i) => {
      if (i + 1 > maxOpen.limit) {
        out.push(
          perTrade("max_open_positions", t, t.openMs, { open: i + 1, limit: maxOpen.limit }),
        );
      }
    });
  }

  const weekend = rules.weekend_flat;
  const cutoff = weekend === undefined ? null : parseCutoff(weekend.cutoff);
  if (weekend !== undefined && cutoff !== null) {
    for (const t of positions) {
      // Open at the cutoff: opened at or before it, not closed by then.
      const lastMs = Math.min(t.closeMs === null ? now : t.closeMs - 1, now);
      for (const c of cutoffsBetween(
        t.openMs,
        lastMs,
        cutoff.weekday,
        cutoff.minutes,
        weekend.timezone,
      )) {
        out.push({
          rule: "weekend_flat",
          period: `${tradeKey(t)}/${c.date}`,
          ticket: t.ticket,
          detectedAtMs: c.atMs,
          detail: {
            symbol: t.symbol,
            cutoff: weekend.cutoff,
            timezone: weekend.timezone,
            cutoff_at: new Date(c.atMs).toISOString(),
          },
        });
      }
    }
  }

  const news = rules.news;
  if (news !== undefined && input.calendar.length > 0) {
    const windowMs = news.window_min * 60_000;
    const minRank = IMPACT_RANK[news.impact];
    for (const t of positions) {
      const moments: ["open" | "close", number][] = [];
      if (news.scope !== "close") moments.push(["open", t.openMs]);
      if (news.scope !== "open" && t.closeMs !== null) moments.push(["close", t.closeMs]);
      const currencies = symbolCurrencies(t.symbol, input.symbols);
      if (currencies.length === 0) continue;
      found: for (const [moment, atMs] of moments) {
        for (const e of input.calendar) {
          if (IMPACT_RANK[e.impact] < minRank) continue;
          if (Math.abs(atMs - e.atMs) > windowMs) continue;
          if (!currencies.includes(e.currency.toUpperCase())) continue;
          out.push(
            perTrade("news", t, atMs, {
              moment,
              event_at: new Date(e.atMs).toISOString(),
              currency: e.currency,
              impact: e.impact,
              title: e.title ?? null,
              window_min: news.window_min,
            }),
          );
          break found;
        }
      }
    }
  }

  const idle = rules.inactivity_days;
  if (idle !== undefined) {
    let lastOpenMs = input.watchedSinceMs;
    for (const t of positions) if (t.openMs > lastOpenMs) lastOpenMs = t.openMs;
    const dueMs = lastOpenMs + idle.days * DAY_MS;
    if (now >= dueMs) {
      out.push({
        rule: "inactivity_days",
        period: `since ${new Date(lastOpenMs).toISOString()}`,
        ticket: null,
        detectedAtMs: dueMs,
        detail: { days: idle.days, last_opened_at: new Date(lastOpenMs).toISOString() },
      });
    }
  }
  return out;
}

function perTrade(
  rule: TradeRuleName,
  t: TradeView,
  detectedAtMs: number,
  detail: Record<string, number | string | null>,
): Candidate {
  return {
    rule,
    period: tradeKey(t),
    ticket: t.ticket,
    detectedAtMs,
    detail: { symbol: t.symbol, lots: t.lots, ...detail },
  };
}

const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;

/**
 * The violations of `rules` not yet recorded, oldest first, each with its severity: the rule's
 * own (`soft` unless it says `hard`), or `hard` when it is the `escalate_after`-th of its rule.
 * At most one per (rule, period), however many times the same trades are judged.
 */
export function judgeTrades(
  rules: TradeRules | undefined,
  input: TradeJudgeInput,
): TradeViolation[] {
  if (rules === undefined) return [];
  const fresh = new Map<string, Candidate>();
  for (const c of tradeRuleCandidates(rules, input)) {
    const key = violationKey(c.rule, c.period);
    if (input.recorded.has(key)) continue;
    const seen = fresh.get(key);
    if (seen === undefined || c.detectedAtMs < seen.detectedAtMs) fresh.set(key, c);
  }
  const ordered = [...fresh.values()].sort(
    (a, b) =>
      a.detectedAtMs - b.detectedAtMs ||
      (a.ticket ?? 0) - (b.ticket ?? 0) ||
      (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0),
  );
  const counts: Partial<Record<TradeRuleName, number>> = { ...input.counts };
  return ordered.map((c) => {
    const rule = rules[c.rule]!;
    const n = (counts[c.rule] ?? 0) + 1;
    counts[c.rule] = n;
    const own: Severity = rule.severity ?? "soft";
    const escalated =
      own === "soft" && rule.escalate_after !== undefined && n >= rule.escalate_after;
    return { ...c, severity: escalated ? "hard" : own, escalated };
  });
}
