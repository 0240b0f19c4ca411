/**
 * Enforcement in the chaos suite (docs/enforcement.md, "Chaos"; issue "Act on a breach"): the
 * run's deployment has `ENFORCEMENT=on`; every account holds positions and pending orders in the
 * simulator, and gets a policy and a session from the seed:
 *
 * - `close_all` or `close_all_and_lock` with enforcement `on`, on a trading session whose
 *   `OrderCloseSafe` answers are scripted from the enforcement faults (fills, timeouts with and
 *   without the close done, `INVALID_TOKEN`, a ticket closed elsewhere just before the send:
 *   `INVALID_TICKET`; in runs of 2 minutes or more also one `MARKET_CLOSED` and a close that
 *   answers after the client gave up); a locked account's trader opens a position once the
 *   breach's action is done (the lock guard must close it);
 * - the same on an investor session (nothing can be closed) or a market that stays closed;
 * - policies that must never act: consequence `record`, enforcement `off`, and `dry_run`
 *   (decided and recorded, nothing sent).
 *
 * At the end: every account that breached with a closing consequence is flat (positions closed,
 * orders cancelled) unless its session is investor or its market closed, and then its action
 * says why; no ticket received a send after it was closed or answered `INVALID_TICKET`
 * (the simulator counts them); no action on an account that did not breach or whose policy
 * says not to act; dry runs sent nothing and decided a step per ticket.
 */
import { sql } from "drizzle-orm";
import type { BenchAccount } from "../../bench/fixtures.ts";
import type { Stack } from "../../bench/stack.ts";
import type { CloseFault } from "../../sim/order-close.ts";

export type Role =
  | "act" // close_all / close_all_and_lock, enforcement on, trading session
  | "investor" // the same, on an investor session
  | "market_closed" // the same, the market closed for the whole run
  | "record" // enforcement on, consequence record: never acted on
  | "off" // consequence close_all, enforcement off: never acted on
  | "dry_run"; // consequence close_all_and_lock, enforcement dry_run: decided, nothing sent

const ACTING: ReadonlySet<Role> = new Set(["act", "investor", "market_closed"]);

export interface AccountPlan {
  id: number;
  sessionId: string;
  role: Role;
  lock: boolean;
  /** The close script (each send takes the next; then fills). */
  faults: CloseFault[];
  /** ms the fills of this session take (a close answered after the client's 10 s timeout). */
  delayMs: number;
  /** Tickets opened at the start. */
  tickets: number[];
  /** The trader opens this ticket once the breach's action is done (locked accounts). */
  openWhileLocked: number | null;
  openedWhileLocked: boolean;
}

export interface EnforcementReport {
  roles: Record<Role, number>;
  /** Breached accounts per role (a violation recorded). */
  breachedByRole: Record<Role, number>;
  actions: { close_all: number; lock_guard: number; done: number; failed: number; open: number };
  /** OrderCloseSafe sends in all, and the answers the simulator gave (by code). */
  sends: number;
  answers: Record<string, number>;
  /** Steps settled by each route (answer, opened_orders, already_closed). */
  settledBy: Record<string, number>;
  sendsAfterSettled: number;
  /** Sends that arrived while an earlier one to the ticket was unanswered (a figure, not an invariant). */
  sendsWhileInFlight: number;
  openedWhileLocked: number;
  /** Accounts meant to be flat and not flat at the end: id, role, open tickets, action. */
  notFlat: string[];
  /** Every action: account, role, kind, state, failure, steps (ticket state/settled_by x sends). */
  list: string[];
}

type ActionRow = {
  id: number;
  account_id: number;
  kind: string;
  state: string;
  dry_run: boolean;
  failure: string | null;
  machine: {
    phase: string;
    failure: string | null;
    equity_before: number | null;
    equity_after: number | null;
    steps: Array<{
      ticket: number;
      state: string;
      error: string | null;
      settled_by: string | null;
      sends: number;
    }>;
  };
};

interface CloseCounters {
  sends: Record<string, number>;
  sends_to_closed: number;
  sends_after_settled?: number;
  sends_while_in_flight?: number;
  answers?: Record<string, string[]>;
}

/** The enforcement faults a trading session's script is drawn from. */
const SCRIPT_FAULTS: readonly CloseFault[] = [
  "timeout_done",
  "timeout_not_done",
  "invalid_token",
  "closed_elsewhere",
  "fill",
];

const ORDER_TYPES = ["Buy", "Sell"] as const;
const PENDING_TYPES = ["BuyLimit", "SellLimit", "BuyStop", "SellStop"] as const;
const SYMBOLS = ["EURUSD", "GBPUSD", "XAUUSD", "US30"] as const;

/**
 * Gives every account its policy, session, orders and close script. `breaching` are the
 * accounts the run will breach: their roles are dealt so that each role (and each close fault)
 * is met at least once when there are enough of them; the others get roles at random (none of
 * them may ever be acted on).
 */
export async function setupEnforcement(
  stack: Stack,
  accounts: readonly BenchAccount[],
  breaching: ReadonlySet<number>,
  rand: () => number,
  long: boolean,
): Promise<Map<number, AccountPlan>> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const deal: Role[] = [
    "act",
    "investor",
    "act",
    "market_closed",
    "dry_run",
    "record",
    "act",
    "off",
  ];
  const plans = new Map<number, AccountPlan>();
  let dealt = 0;
  let lockNext = rand() < 0.5;
  for (const a of accounts) {
    const role: Role = breaching.has(a.id)
      ? (deal[dealt++] ?? pick<Role>(["act", "act", "act", "act", "record", "off", "dry_run"]))
      : pick<Role>(["act", "act", "record", "off", "dry_run"]);
    const lock = role === "dry_run" || (ACTING.has(role) && (lockNext = !lockNext));
    const tickets: number[] = [];
    const opened: Array<Record<string, unknown>> = [];
    const positions = 1 + Math.floor(rand() * 3);
    const pending = Math.floor(rand() * 3);
    for (let k = 0; k < positions + pending; k++) {
      const ticket = a.id * 1_000 + k + 1;
      tickets.push(ticket);
      opened.push({
        ticket,
        symbol: pick(SYMBOLS),
        orderType: k < positions ? pick(ORDER_TYPES) : pick(PENDING_TYPES),
        lots: Math.round((0.1 + rand()) * 100) / 100,
        openPrice: Math.round((1 + rand()) * 10_000) / 10_000,
        profit: k < positions ? Math.round((rand() - 0.7) * 50_000) / 100 : 0,
        openTime: new Date(Date.now() - 3_600_000).toISOString().slice(0, 19),
      });
    }
    plans.set(a.id, {
      id: a.id,
      sessionId: a.sessionId,
      role,
      lock,
      faults: [],
      delayMs: 0,
      tickets,
      openWhileLocked: role === "act" && lock ? a.id * 1_000 + 900 : null,
      openedWhileLocked: false,
    });
    await stack.control(`/orders/${encodeURIComponent(a.sessionId)}`, { opened }, "PUT");
  }
  // Close scripts: every fault once across the trading sessions that breach, then at random.
  const trading = [...plans.values()].filter((p) => p.role === "act");
  const breachingTrading = trading.filter((p) => breaching.has(p.id));
  const once: CloseFault[] = [...SCRIPT_FAULTS];
  if (long) once.push("market_closed");
  once.forEach((f, i) => {
    const p = breachingTrading[i % Math.max(1, breachingTrading.length)];
    p?.faults.push(f);
  });
  for (const p of trading) {
    for (let k = Math.floor(rand() * 3); k > 0; k--) p.faults.push(pick(SCRIPT_FAULTS));
  }
  // A close that answers after the client's 10 s timeout (the ticket closes meanwhile).
  if (long && breachingTrading.length > 1) breachingTrading.at(-1)!.delayMs = 12_000;
  for (const p of plans.values()) {
    const path = `/close/${encodeURIComponent(p.sessionId)}`;
    if (p.role === "investor") await stack.control(path, { investor: true }, "PUT");
    else if (p.role === "market_closed")
      await stack.control(path, { faults: Array(60).fill("market_closed") }, "PUT");
    else await stack.control(path, { faults: p.faults, delay_ms: p.delayMs }, "PUT");
  }
  // The policies: consequences in the rules, enforcement per account (docs/enforcement.md).
  for (const p of plans.values()) {
    const consequence =
      p.role === "record" ? "record" : p.lock ? "close_all_and_lock" : "close_all";
    const mode = p.role === "off" ? "off" : p.role === "dry_run" ? "dry_run" : "on";
    await stack.db.db.execute(
      sql`update accounts set enforcement = ${mode},
            rules = jsonb_set(rules, '{consequences}', ${JSON.stringify({ default: consequence })}::jsonb)
          where id = ${p.id}`,
    );
  }
  return plans;
}

/** What the run needs during trading and settling, and the checks at the end. */
export class EnforcementWatch {
  private readonly stack: Stack;
  private readonly plans: Map<number, AccountPlan>;
  private readonly mark: (what: string) => void;

  constructor(stack: Stack, plans: Map<number, AccountPlan>, mark: (what: string) => void) {
    this.stack = stack;
    this.plans = plans;
    this.mark = mark;
  }

  private async actions(): Promise<ActionRow[]> {
    const r = await this.stack.db.db.execute<ActionRow>(
      sql`select id, account_id, kind, state, dry_run, failure, machine from enforcement_actions order by id`,
    );
    return r.rows.map((x) => ({ ...x, id: Number(x.id), account_id: Number(x.account_id) }));
  }

  private async violated(): Promise<Set<number>> {
    const r = await this.stack.db.db.execute<{ account_id: number }>(
      sql`select distinct account_id from violations`,
    );
    return new Set(r.rows.map((x) => Number(x.account_id)));
  }

  private async opened(p: AccountPlan): Promise<number[]> {
    const res = await fetch(
      `${this.stack.sim.mtapiUrl}/OpenedOrders?id=${encodeURIComponent(p.sessionId)}`,
    );
    const list = (await res.json()) as Array<{ ticket: number }>;
    return list.map((o) => o.ticket).sort((a, b) => a - b);
  }

  private counters(p: AccountPlan): Promise<CloseCounters> {
    return this.stack.control<CloseCounters>(`/close/${encodeURIComponent(p.sessionId)}`);
  }

  /**
   * The trader of a locked account opens a position once the breach's action is done (the
   * lock guard must close it). Cheap: one query, only while some are still to open.
   */
  async traderOpens(): Promise<void> {
    const due = [...this.plans.values()].filter(
      (p) => p.openWhileLocked !== null && !p.openedWhileLocked,
    );
    if (due.length === 0) return;
    const r = await this.stack.db.db.execute<{ account_id: number }>(
      sql`select a.id as account_id from accounts a join enforcement_actions e on e.account_id = a.id
          where a.locked_at is not null and e.kind = 'close_all' and e.state = 'done'`,
    );
    const ready = new Set(r.rows.map((x) => Number(x.account_id)));
    for (const p of due) {
      if (!ready.has(p.id)) continue;
      p.openedWhileLocked = true;
      await this.stack.control(`/orders/${encodeURIComponent(p.sessionId)}/open`, {
        ticket: p.openWhileLocked,
        symbol: "EURUSD",
        orderType: "Buy",
        lots: 1,
        openPrice: 1.1,
        profit: -12.5,
      });
      this.mark(`#${p.id} trader opened ${p.openWhileLocked} while locked`);
    }
  }

  /** Why an acting account may stay open (its action says so), or null when it must be flat. */
  private static excused(p: AccountPlan, action: ActionRow | undefined): string | null {
    if (action === undefined) return null;
    const failure = action.machine.failure ?? action.failure ?? "";
    if (p.role === "investor" && action.state === "failed" && /investor/i.test(failure))
      return "investor session";
    if (
      p.role === "market_closed" &&
      action.state !== "done" &&
      action.machine.steps.some((s) => s.error === "MARKET_CLOSED")
    )
      return "market closed";
    return null;
  }

  /**
   * Accounts that must be flat and are not yet, with why; empty when enforcement has settled
   * (used by the settle phase and the final check).
   */
  async pending(): Promise<string[]> {
    const [actions, violated] = await Promise.all([this.actions(), this.violated()]);
    const out: string[] = [];
    for (const p of this.plans.values()) {
      if (!ACTING.has(p.role) || !violated.has(p.id)) continue;
      const mine = actions.filter((x) => x.account_id === p.id);
      const first = mine.find((x) => x.kind === "close_all");
      const open = await this.opened(p);
      const why = EnforcementWatch.excused(p, first);
      if (why !== null) continue;
      const unfinished = mine.filter((x) => x.state === "pending" || x.state === "running");
      if (
        open.length > 0 ||
        first === undefined ||
        unfinished.length > 0 ||
        (p.openWhileLocked !== null && !p.openedWhileLocked)
      ) {
        out.push(
          `#${p.id} ${p.role}${p.lock ? "+lock" : ""}: open [${open.join(",")}], ${
            mine
              .map((x) => `${x.kind} ${x.state}${x.failure ? ` (${x.failure})` : ""}`)
              .join("; ") || "no action"
          }`,
        );
      }
    }
    return out;
  }

  /** The enforcement invariants, and the figures of the report. */
  async check(): Promise<{
    invariants: Array<{ name: string; held: boolean; detail: string }>;
    report: EnforcementReport;
  }> {
    const [actions, violated] = await Promise.all([this.actions(), this.violated()]);
    const notFlat = await this.pending();
    const roles = emptyRoles();
    const breachedByRole = emptyRoles();
    let sends = 0;
    let sendsAfterSettled = 0;
    let sendsWhileInFlight = 0;
    const answers: Record<string, number> = {};
    const afterSettled: string[] = [];
    const wrongActions: string[] = [];
    const untouched: string[] = [];
    const dry: string[] = [];
    const locks: string[] = [];
    const lockedRows = await this.stack.db.db.execute<{ id: number; locked: boolean }>(
      sql`select id, locked_at is not null as locked from accounts`,
    );
    const locked = new Map(lockedRows.rows.map((x) => [Number(x.id), x.locked]));
    for (const p of this.plans.values()) {
      roles[p.role]++;
      const breached = violated.has(p.id);
      if (breached) breachedByRole[p.role]++;
      const c = await this.counters(p);
      const n = Object.values(c.sends).reduce((a, b) => a + b, 0);
      sends += n;
      sendsAfterSettled += c.sends_after_settled ?? 0;
      sendsWhileInFlight += c.sends_while_in_flight ?? 0;
      for (const list of Object.values(c.answers ?? {}))
        for (const code of list) answers[code] = (answers[code] ?? 0) + 1;
      if ((c.sends_after_settled ?? 0) > 0 || c.sends_to_closed > 0) {
        afterSettled.push(
          `#${p.id}: ${c.sends_after_settled} after settled, ${c.sends_to_closed} to closed; answers ${JSON.stringify(c.answers)}`,
        );
      }
      const mine = actions.filter((x) => x.account_id === p.id);
      const shouldAct = ACTING.has(p.role) || p.role === "dry_run";
      if (mine.length > 0 && (!breached || !shouldAct)) {
        wrongActions.push(
          `#${p.id} ${p.role} ${breached ? "breached" : "not breached"}: ${mine.map((x) => x.kind).join(", ")}`,
        );
      }
      if (breached && shouldAct && !mine.some((x) => x.kind === "close_all")) {
        wrongActions.push(`#${p.id} ${p.role} breached: no action`);
      }
      if (!ACTING.has(p.role) || !breached) {
        // Never acted on: nothing sent, every order still open.
        const open = await this.opened(p);
        if (n > 0 || open.join(",") !== p.tickets.join(","))
          untouched.push(`#${p.id} ${p.role}: ${n} sends, open [${open.join(",")}]`);
      }
      if (p.role === "dry_run" && breached) {
        const a = mine.find((x) => x.kind === "close_all");
        const decided = a?.machine.steps.filter((s) => s.state === "decided").length ?? 0;
        if (
          !a ||
          !a.dry_run ||
          a.state !== "done" ||
          decided !== p.tickets.length ||
          locked.get(p.id)
        )
          dry.push(
            `#${p.id}: ${a ? `${a.state}, dry ${a.dry_run}, ${decided}/${p.tickets.length} decided` : "no action"}, locked ${locked.get(p.id)}`,
          );
      }
      if (ACTING.has(p.role) && breached && (locked.get(p.id) ?? false) !== p.lock)
        locks.push(`#${p.id} ${p.role}: lock ${p.lock}, locked ${locked.get(p.id)}`);
    }
    const settledBy: Record<string, number> = {};
    for (const a of actions)
      for (const s of a.machine.steps)
        if (s.settled_by) settledBy[s.settled_by] = (settledBy[s.settled_by] ?? 0) + 1;
    const count = (f: (a: ActionRow) => boolean) => actions.filter(f).length;
    // Equity read from a session not yet synced would show as 0 (the chaos's equities are ~95,000).
    const zeroEquity = actions
      .filter((a) => a.machine.equity_before === 0 || a.machine.equity_after === 0)
      .map(
        (a) =>
          `action ${a.id} #${a.account_id}: before ${a.machine.equity_before}, after ${a.machine.equity_after}`,
      );
    const list = actions.map(
      (a) =>
        `#${a.account_id} ${this.plans.get(a.account_id)?.role ?? "?"} ${a.kind} ${a.state}${a.dry_run ? " dry" : ""}${
          a.failure ? ` (${a.failure})` : ""
        }: ${a.machine.steps.map((s) => `${s.ticket} ${s.state}/${s.settled_by ?? s.error ?? "-"} x${s.sends}`).join(", ")}`,
    );
    const report: EnforcementReport = {
      roles,
      breachedByRole,
      actions: {
        close_all: count((a) => a.kind === "close_all"),
        lock_guard: count((a) => a.kind === "lock_guard"),
        done: count((a) => a.state === "done"),
        failed: count((a) => a.state === "failed"),
        open: count((a) => a.state === "pending" || a.state === "running"),
      },
      sends,
      answers,
      settledBy,
      sendsAfterSettled,
      sendsWhileInFlight,
      openedWhileLocked: [...this.plans.values()].filter((p) => p.openedWhileLocked).length,
      notFlat,
      list,
    };
    const acting = ["act", "investor", "market_closed"] as const;
    const actingBreached = acting.reduce((n, r) => n + breachedByRole[r], 0);
    return {
      report,
      invariants: [
        {
          name: "every account breached with a closing consequence is flat (or its action says why: investor session, market closed), locked when its consequence locks",
          held: notFlat.length === 0 && locks.length === 0,
          detail:
            [...notFlat, ...locks].slice(0, 4).join("; ") ||
            `${actingBreached} acted on, ${report.openedWhileLocked} opened while locked and closed`,
        },
        {
          name: "no ticket sent a close after it was closed or answered INVALID_TICKET",
          held: afterSettled.length === 0,
          detail: afterSettled.slice(0, 3).join("; ") || `${sends} sends`,
        },
        {
          name: "no action on an account that did not breach or whose policy says not to act; the others' orders untouched",
          held: wrongActions.length === 0 && untouched.length === 0,
          detail:
            [...wrongActions, ...untouched].slice(0, 4).join("; ") ||
            `${actions.length} actions, all on breached acting accounts`,
        },
        {
          name: "no close sent to a ticket while an earlier close to it may still be executing (a close slower than the client's timeout)",
          held: sendsWhileInFlight === 0,
          detail:
            sendsWhileInFlight > 0
              ? `${sendsWhileInFlight} sends while in flight`
              : `${sends} sends`,
        },
        {
          name: "the evidence's equity before and after is a reading, never an unsynced 0",
          held: zeroEquity.length === 0,
          detail: zeroEquity.slice(0, 3).join("; ") || `${actions.length} actions`,
        },
        {
          name: "dry runs decided a step per ticket, sent nothing and locked nothing",
          held: dry.length === 0,
          detail: dry.slice(0, 3).join("; ") || `${breachedByRole.dry_run} dry runs`,
        },
      ],
    };
  }
}

function emptyRoles(): Record<Role, number> {
  return { act: 0, investor: 0, market_closed: 0, record: 0, off: 0, dry_run: 0 };
}

/** One line of the human report. */
export function formatEnforcement(r: EnforcementReport): string {
  const roles = (x: Record<Role, number>) =>
    Object.entries(x)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  return [
    `enforcement: roles ${roles(r.roles)}; breached ${roles(r.breachedByRole)}`,
    `  actions: close_all ${r.actions.close_all}, lock_guard ${r.actions.lock_guard}; done ${r.actions.done}, failed ${r.actions.failed}, open ${r.actions.open}; opened while locked ${r.openedWhileLocked}`,
    `  sends ${r.sends}, answers ${JSON.stringify(r.answers)}, settled by ${JSON.stringify(r.settledBy)}, sends after settled ${r.sendsAfterSettled}, while one was in flight ${r.sendsWhileInFlight}`,
  ].join("\n");
}
