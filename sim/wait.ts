/**
 * `/control/wait`: conditions on the simulator's state, and waiters that answer as soon as
 * every condition holds (or on timeout), so tests never sleep.
 */
import type { SimState } from "./state.ts";

/** Conditions; every given one must hold. */
export interface WaitUntil {
  /** Open connections == n. */
  connections?: number | undefined;
  total_connections_at_least?: number | undefined;
  /** Distinct subscribed sessions == n. */
  subscriptions?: number | undefined;
  /** Each session subscribed by at least one open connection. */
  subscribed?: string[] | undefined;
  /** Each session subscribed by no open connection. */
  unsubscribed?: string[] | undefined;
  /** Subscribe requests ever received per session >= n (e.g. a resubscribe after a drop). */
  subscribe_count_at_least?: Record<string, number> | undefined;
  /** AccountSummary reads per session >= n. */
  reads_at_least?: Record<string, number> | undefined;
  /** Account events sent in total >= n. */
  events_sent_at_least?: number | undefined;
}

/** What conditions are checked against. */
export interface WaitProbe {
  state(): SimState;
  subscribeCount(sessionId: string): number;
  reads(sessionId: string): number;
}

/** The conditions that do not hold yet, described; empty when all hold. */
export function unmet(until: WaitUntil, probe: WaitProbe): string[] {
  const s = probe.state();
  const subscribed = new Set(s.subscriptions.map((x) => x.session_id));
  const out: string[] = [];
  if (until.connections !== undefined && s.connections !== until.connections) {
    out.push(`connections ${s.connections} != ${until.connections}`);
  }
  const total = until.total_connections_at_least;
  if (total !== undefined && s.total_connections < total) {
    out.push(`total_connections ${s.total_connections} < ${total}`);
  }
  if (until.subscriptions !== undefined && subscribed.size !== until.subscriptions) {
    out.push(`subscriptions ${subscribed.size} != ${until.subscriptions}`);
  }
  for (const id of until.subscribed ?? []) {
    if (!subscribed.has(id)) out.push(`${id} not subscribed`);
  }
  for (const id of until.unsubscribed ?? []) {
    if (subscribed.has(id)) out.push(`${id} still subscribed`);
  }
  for (const [id, n] of Object.entries(until.subscribe_count_at_least ?? {})) {
    const got = probe.subscribeCount(id);
    if (got < n) out.push(`${id} subscribes ${got} < ${n}`);
  }
  for (const [id, n] of Object.entries(until.reads_at_least ?? {})) {
    const got = probe.reads(id);
    if (got < n) out.push(`${id} reads ${got} < ${n}`);
  }
  const events = until.events_sent_at_least;
  if (events !== undefined && s.sent.events < events) {
    out.push(`events sent ${s.sent.events} < ${events}`);
  }
  return out;
}

type WaitResult = { ok: true } | { ok: false; unmet: string[] };

/** Pending waits, re-checked whenever the simulator pokes. */
export class Waiters {
  private readonly probe: WaitProbe;
  /** Each pending wait: re-check, or give up now. */
  private readonly pending = new Map<() => void, () => void>();

  constructor(probe: WaitProbe) {
    this.probe = probe;
  }

  /** Resolves `{ ok: true }` once every condition holds, `{ ok: false, unmet }` on timeout. */
  wait(until: WaitUntil, timeoutMs: number): Promise<WaitResult> {
    return new Promise((resolve) => {
      const finish = (result: WaitResult) => {
        clearTimeout(timer);
        this.pending.delete(check);
        resolve(result);
      };
      const check = () => {
        if (unmet(until, this.probe).length === 0) finish({ ok: true });
      };
      const giveUp = () => finish({ ok: false, unmet: unmet(until, this.probe) });
      const timer = setTimeout(giveUp, timeoutMs);
      this.pending.set(check, giveUp);
      check();
    });
  }

  /** Re-checks every pending wait (call after any change). */
  poke(): void {
    for (const check of [...this.pending.keys()]) check();
  }

  /** Ends every pending wait now, as timed out (the simulator is closing). */
  cancelAll(): void {
    for (const giveUp of [...this.pending.values()]) giveUp();
  }
}
