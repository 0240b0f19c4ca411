/**
 * A fake broker and host for the enforcement core: open tickets, a script of faults answered
 * in order, evictions (the host dies after a persist or after a send), a fake clock. It counts
 * what matters: sends per ticket, and sends that reached a ticket already closed.
 */
import type {
  ActionState,
  OpenOrder,
  OpenedAnswer,
  RenewAnswer,
  SendAnswer,
  SummaryAnswer,
} from "../../../src/domain/enforcement/action.ts";
import type { ActionHost } from "../../../src/domain/enforcement/drive.ts";

/**
 * What the broker does with one send: `fill` (closes, answers), `timeout_done` (closes, answer
 * lost as TIMEOUT), `timeout_not_done` (TIMEOUT, nothing closed), `market_closed`,
 * `invalid_token`, `throw` (network error, nothing closed), `throw_done` (closed, then the
 * connection dropped), `slow_fill` (the client gives up after its timeout, answered as an
 * in-flight TIMEOUT, and the close executes 12 s after the send).
 */
export type SendFault =
  | "fill"
  | "timeout_done"
  | "timeout_not_done"
  | "market_closed"
  | "invalid_token"
  | "throw"
  | "throw_done"
  | "slow_fill";
export type ReadFault = "ok" | "fail" | "invalid_token";

export class Evicted extends Error {}

export function order(ticket: number, orderType = "Buy", profit = -100): OpenOrder {
  return { ticket, symbol: "EURUSD", orderType, lots: 1, openPrice: 1.1, profit };
}

export class FakeBroker {
  open = new Map<number, OpenOrder>();
  closed = new Set<number>();
  sends = new Map<number, number>();
  /** Sends that reached a ticket already closed (must stay 0). */
  sendsToClosed = 0;
  renewals = 0;
  tokenValid = true;
  sendFaults: SendFault[] = [];
  readFaults: ReadFault[] = [];
  isInvestor: boolean | null = false;
  equity = 90_000;
  sendLog: number[] = [];
  /** The host's clock (set by FakeHost): when slow closes execute. */
  now: () => number = () => 0;
  /** Closes still executing: ticket -> when they execute. */
  slow = new Map<number, number>();

  constructor(orders: OpenOrder[]) {
    for (const o of orders) this.open.set(o.ticket, o);
  }

  private executeDue(): void {
    for (const [ticket, at] of this.slow) {
      if (at > this.now()) continue;
      this.slow.delete(ticket);
      this.open.delete(ticket);
      this.closed.add(ticket);
      this.equity += 1;
    }
  }

  private readFault(): ReadFault {
    this.executeDue();
    const f = this.readFaults.shift() ?? "ok";
    if (f === "invalid_token") this.tokenValid = false;
    return this.tokenValid ? f : "invalid_token";
  }

  summary(): SummaryAnswer {
    const f = this.readFault();
    if (f !== "ok")
      return { ok: false, code: f === "fail" ? "SERVICE_NOT_AVAILABLE" : "INVALID_TOKEN" };
    return { ok: true, equity: this.equity, isInvestor: this.isInvestor };
  }

  opened(): OpenedAnswer {
    const f = this.readFault();
    if (f !== "ok") return { ok: false, code: f === "fail" ? "TIMEOUT" : "INVALID_TOKEN" };
    return { ok: true, orders: [...this.open.values()] };
  }

  send(ticket: number): SendAnswer {
    this.executeDue();
    this.sendLog.push(ticket);
    this.sends.set(ticket, (this.sends.get(ticket) ?? 0) + 1);
    if (this.closed.has(ticket)) {
      this.sendsToClosed += 1;
      return { ok: false, code: "INVALID_TICKET" };
    }
    if (!this.tokenValid) return { ok: false, code: "INVALID_TOKEN" };
    const f = this.sendFaults.shift() ?? "fill";
    const close = (): OpenOrder => {
      const o = this.open.get(ticket)!;
      this.open.delete(ticket);
      this.closed.add(ticket);
      this.equity += 1;
      return o;
    };
    if (!this.open.has(ticket)) return { ok: false, code: "INVALID_TICKET" };
    switch (f) {
      case "fill": {
        const o = close();
        return {
          ok: true,
          closePrice: 1.09,
          closeTime: "2026-12-06T10:00:00.000",
          profit: o.profit,
          state: "Filled",
        };
      }
      case "timeout_done":
        close();
        return { ok: false, code: "TIMEOUT" };
      case "timeout_not_done":
        return { ok: false, code: "TIMEOUT" };
      case "market_closed":
        return { ok: false, code: "MARKET_CLOSED" };
      case "invalid_token":
        this.tokenValid = false;
        return { ok: false, code: "INVALID_TOKEN" };
      case "throw":
        throw new Error("socket hang up");
      case "throw_done":
        close();
        throw new Error("socket hang up");
      case "slow_fill":
        this.slow.set(ticket, this.now() + 12_000);
        return { ok: false, code: "TIMEOUT", inFlight: true };
    }
  }
}

export interface HostOptions {
  /** Evict (throw) right after the n-th persist, before its command is carried out. */
  evictAfterPersist?: Set<number>;
  /** Evict right after the n-th send reached the broker, before its answer is taken. */
  evictAfterSend?: Set<number>;
  /** Halt from the n-th `halted()` call on. */
  haltFrom?: number;
  /** The persist fails (database down) on these persist numbers: nothing after it happens. */
  persistFails?: Set<number>;
  /**
   * From the n-th persist on, the write itself finds a halt (src/enforce/store.ts, `haltGuard`):
   * a state planned without it is refused (`true`: an operator's halt); once refused, `halted()` is true.
   */
  haltAtPersist?: number;
  /** The session cannot be renewed until the clock reaches this (ms; a rejected login fixed later). */
  renewRefusedUntil?: number;
}

/** A host over the broker; `persisted` is what survives an eviction. */
export class FakeHost implements ActionHost {
  clock = 1_000_000;
  persisted: ActionState | null = null;
  persists = 0;
  sendCalls = 0;
  haltedCalls = 0;
  /** Persists refused because the write found the halt. */
  haltRefusals = 0;
  private haltFound = false;
  private dying = false;

  readonly broker: FakeBroker;
  readonly opts: HostOptions;

  constructor(broker: FakeBroker, opts: HostOptions = {}) {
    this.broker = broker;
    this.opts = opts;
    broker.now = () => this.clock;
  }

  now(): number {
    return this.clock;
  }
  halted(): boolean {
    this.haltedCalls += 1;
    return (
      this.haltFound || (this.opts.haltFrom !== undefined && this.haltedCalls >= this.opts.haltFrom)
    );
  }
  async persist(state: ActionState): Promise<void | true | string> {
    this.persists += 1;
    if (this.dying) {
      this.dying = false;
      throw new Evicted("evicted after send");
    }
    if (this.opts.persistFails?.has(this.persists)) throw new Error("database unavailable");
    const finished = state.phase === "done" || state.phase === "failed";
    if (
      !this.haltFound &&
      !finished &&
      this.opts.haltAtPersist !== undefined &&
      this.persists >= this.opts.haltAtPersist
    ) {
      this.haltFound = true;
      this.haltRefusals += 1;
      return true;
    }
    this.persisted = structuredClone(state);
    if (this.opts.evictAfterPersist?.has(this.persists)) throw new Evicted("evicted after persist");
  }
  async readSummary(): Promise<SummaryAnswer> {
    this.clock += 5;
    return this.broker.summary();
  }
  async readOpened(): Promise<OpenedAnswer> {
    this.clock += 5;
    return this.broker.opened();
  }
  async send(ticket: number): Promise<SendAnswer> {
    this.clock += 20;
    this.sendCalls += 1;
    // The isolate dies with the answer in flight: the next persist never happens.
    if (this.opts.evictAfterSend?.has(this.sendCalls)) this.dying = true;
    return this.broker.send(ticket);
  }
  async renew(): Promise<RenewAnswer> {
    this.clock += 5;
    this.broker.renewals += 1;
    if (this.opts.renewRefusedUntil !== undefined && this.clock < this.opts.renewRefusedUntil)
      return { ok: false, code: "INVALID_TOKEN" };
    this.broker.tokenValid = true;
    return { ok: true as const };
  }
  async wait(until: number): Promise<boolean> {
    this.clock = Math.max(this.clock, until);
    return true;
  }
}
