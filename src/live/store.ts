/**
 * The live monitor's durable storage (SQLite-backed Durable Object): every table, key and
 * shape in one place. What is here survives eviction, deploys and restarts; a fresh instance
 * rebuilds everything from it.
 *
 * - `subs`: the subscriptions, with the risk state as last persisted; `session_id` holds the
 *   token sealed (src/live/session-seals.ts; docs/security.md, "Secrets at rest").
 * - `outbox`: account changes (violations, state changes) waiting to reach Postgres.
 * - `tombstones`: accounts the monitor let go recently, so reconciliation does not undo it.
 * - `meta`: counters and small settings.
 * - `dead_letters`: outbox entries that failed on their own, kept for an operator to retry.
 * - `lock_watch`: locked accounts (docs/enforcement.md, "Lock") whose order events this shard
 *   still receives after they left live monitoring (lock-watch.ts).
 * - `enforce`: enforcement actions of held accounts this shard runs (enforcer.ts), each with
 *   when it is due again; a resumed instance picks them up from its alarm.
 */
import type { AccountChange } from "../domain/outcome.ts";
import type { RiskState, RuleParams } from "../risk/index.ts";
import type { OutboxEntry } from "./writer.ts";
import { RulesInterner } from "./core/rules-interner.ts";
import { newSubscription, type Subscription } from "./core/subscriptions.ts";
import type { SessionSeals } from "./session-seals.ts";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS subs (
     account_id INTEGER PRIMARY KEY, login TEXT NOT NULL, server TEXT NOT NULL, session_id TEXT NOT NULL,
     rules TEXT NOT NULL, risk TEXT, subscribed_at INTEGER NOT NULL, last_event_ts INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, account_id INTEGER NOT NULL, change TEXT NOT NULL, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS tombstones (account_id INTEGER PRIMARY KEY, removed_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS dead_letters (
     id INTEGER PRIMARY KEY AUTOINCREMENT, account_id INTEGER NOT NULL, change TEXT NOT NULL,
     error TEXT NOT NULL, created_at INTEGER NOT NULL, failed_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS lock_watch (
     account_id INTEGER PRIMARY KEY, login TEXT NOT NULL, server TEXT NOT NULL, session_id TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS enforce (
     action_id INTEGER PRIMARY KEY, due_at INTEGER NOT NULL, failures INTEGER NOT NULL DEFAULT 0)`,
];

/** An outbox entry set aside after failing on its own (not for a database outage). */
export interface DeadLetter {
  id: number;
  accountId: number;
  change: AccountChange;
  error: string;
  /** Epoch ms it entered the outbox, and of its last failure. */
  createdAt: number;
  failedAt: number;
}

/** A dead letter as `GET /v1/monitor/dead-letters` lists it (plain JSON, fit for RPC). */
export interface DeadLetterJson {
  id: number;
  account_id: number;
  error: string;
  /** `rule period` of each violation the entry carries. */
  violations: string[];
  status: string | null;
  monitoring_state: string | null;
  created_at: string;
  failed_at: string;
}

export function deadLetterJson(d: DeadLetter): DeadLetterJson {
  return {
    id: d.id,
    account_id: d.accountId,
    error: d.error,
    violations: d.change.violations.map((v) => `${v.rule} ${v.period}`),
    status: d.change.status ?? null,
    monitoring_state: d.change.monitoringState ?? null,
    created_at: new Date(d.createdAt).toISOString(),
    failed_at: new Date(d.failedAt).toISOString(),
  };
}

type Row = Record<string, SqlStorageValue>;

/** Tombstones older than this are forgotten (ms): reconciliation snapshots are younger. */
const TOMBSTONE_TTL_MS = 15 * 60_000;

export class MonitorStore {
  /** Accounts on the same rules share one parsed object (memory per live account). */
  private readonly rules = new RulesInterner();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly seals: SessionSeals,
    private readonly sql: SqlStorage = storage.sql,
  ) {
    for (const statement of SCHEMA) sql.exec(statement);
  }

  /** Runs `fn` as one atomic storage transaction. */
  atomically<T>(fn: () => T): T {
    return this.storage.transactionSync(fn);
  }

  /** Interns a rules object so equal rules share one instance. */
  intern(rules: RuleParams): RuleParams {
    return this.rules.intern(rules);
  }

  /**
   * The stored subscriptions, as a fresh instance starts from (not heard of since), each
   * `sessionId` as stored (sealed, or in clear from before sealing): the caller opens it.
   */
  loadSubscriptions(): Subscription[] {
    // An account with a change still in the outbox was leaving live monitoring.
    const pending = this.outboxAccounts();
    return this.sql
      .exec<Row>("SELECT * FROM subs")
      .toArray()
      .map((r) => {
        const rules = this.rules.fromJson(String(r.rules));
        const input = {
          account_id: Number(r.account_id),
          login: String(r.login),
          server: String(r.server),
          session_id: String(r.session_id),
          rules,
          risk_state: r.risk ? (JSON.parse(String(r.risk)) as RiskState) : null,
        };
        return {
          ...newSubscription(input, rules, Number(r.subscribed_at)),
          lastEventTs: Number(r.last_event_ts),
          lastRestAt: 0,
          leaving: pending.has(input.account_id),
        };
      });
  }

  saveSubscription(s: Subscription): void {
    this.sql.exec(
      `INSERT INTO subs (account_id, login, server, session_id, rules, risk, subscribed_at, last_event_ts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET login = excluded.login, server = excluded.server,
         session_id = excluded.session_id, rules = excluded.rules, risk = excluded.risk,
         subscribed_at = excluded.subscribed_at, last_event_ts = excluded.last_event_ts`,
      s.accountId,
      s.login,
      s.server,
      this.seals.sealedFor(s.sessionId),
      JSON.stringify(s.rules),
      s.risk ? JSON.stringify(s.risk) : null,
      s.subscribedAt,
      s.lastEventTs,
    );
    this.sql.exec("DELETE FROM tombstones WHERE account_id = ?", s.accountId);
  }

  /** Saves the risk state of each of `ids` still subscribed, in one transaction. */
  saveRisks(ids: Iterable<number>, lookup: (id: number) => Subscription | undefined): void {
    this.atomically(() => {
      for (const id of ids) {
        const sub = lookup(id);
        if (sub) this.saveRisk(sub);
      }
    });
  }

  saveRisk(s: Subscription): void {
    this.sql.exec(
      "UPDATE subs SET risk = ?, last_event_ts = ? WHERE account_id = ?",
      s.risk ? JSON.stringify(s.risk) : null,
      s.lastEventTs,
      s.accountId,
    );
  }

  /** Removes a subscription and leaves a tombstone for reconciliation. */
  deleteSubscription(accountId: number, at: number): void {
    this.sql.exec("DELETE FROM subs WHERE account_id = ?", accountId);
    this.sql.exec(
      "INSERT INTO tombstones (account_id, removed_at) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET removed_at = excluded.removed_at",
      accountId,
      at,
    );
  }

  /** When the monitor let an account go, if it did recently. */
  tombstones(): Map<number, number> {
    const rows = this.sql.exec<Row>("SELECT account_id, removed_at FROM tombstones").toArray();
    return new Map(rows.map((r) => [Number(r.account_id), Number(r.removed_at)]));
  }

  /** Forgets tombstones older than TOMBSTONE_TTL_MS at `now` (epoch ms). */
  pruneTombstones(now: number): void {
    this.sql.exec("DELETE FROM tombstones WHERE removed_at < ?", now - TOMBSTONE_TTL_MS);
  }

  enqueue(change: AccountChange, at: number): void {
    this.sql.exec(
      "INSERT INTO outbox (account_id, change, created_at) VALUES (?, ?, ?)",
      change.accountId,
      JSON.stringify(change),
      at,
    );
  }

  readOutbox(limit: number): OutboxEntry[] {
    return this.sql
      .exec<Row>(
        "SELECT seq, account_id, change, created_at FROM outbox ORDER BY seq LIMIT ?",
        limit,
      )
      .toArray()
      .map((r) => ({
        seq: Number(r.seq),
        accountId: Number(r.account_id),
        change: JSON.parse(String(r.change)) as AccountChange,
        createdAt: Number(r.created_at),
      }));
  }

  /** Drops the entries up to and including `seq` (they reached Postgres). */
  ackOutbox(seq: number): void {
    this.sql.exec("DELETE FROM outbox WHERE seq <= ?", seq);
  }

  /** Drops one entry (it reached Postgres, or its account is gone). */
  ackOutboxEntry(seq: number): void {
    this.sql.exec("DELETE FROM outbox WHERE seq = ?", seq);
  }

  /** Moves an outbox entry to the dead letters, with the error it failed on. */
  deadLetter(entry: OutboxEntry, error: string, at: number): void {
    this.atomically(() => {
      this.sql.exec("DELETE FROM outbox WHERE seq = ?", entry.seq);
      this.sql.exec(
        "INSERT INTO dead_letters (account_id, change, error, created_at, failed_at) VALUES (?, ?, ?, ?, ?)",
        entry.accountId,
        JSON.stringify(entry.change),
        error.slice(0, 500),
        entry.createdAt,
        at,
      );
    });
  }

  /** The dead letters, oldest first. */
  deadLetters(): DeadLetter[] {
    return this.sql
      .exec<Row>("SELECT * FROM dead_letters ORDER BY id")
      .toArray()
      .map((r) => ({
        id: Number(r.id),
        accountId: Number(r.account_id),
        change: JSON.parse(String(r.change)) as AccountChange,
        error: String(r.error),
        createdAt: Number(r.created_at),
        failedAt: Number(r.failed_at),
      }));
  }

  deadLetterCount(): number {
    return Number(this.sql.exec<Row>("SELECT count(*) AS n FROM dead_letters").one().n);
  }

  /** Forgets a dead letter (it landed on retry). */
  dropDeadLetter(id: number): void {
    this.sql.exec("DELETE FROM dead_letters WHERE id = ?", id);
  }

  /** Records a dead letter's latest failure. */
  failDeadLetter(id: number, error: string, at: number): void {
    this.sql.exec(
      "UPDATE dead_letters SET error = ?, failed_at = ? WHERE id = ?",
      error.slice(0, 500),
      at,
      id,
    );
  }

  /** Epoch ms the oldest pending entry was queued, or null when the outbox is empty. */
  oldestOutboxAt(): number | null {
    const row = this.sql.exec<Row>("SELECT min(created_at) AS at FROM outbox").one();
    return row.at === null ? null : Number(row.at);
  }

  outboxSize(): number {
    return Number(this.sql.exec<Row>("SELECT count(*) AS n FROM outbox").one().n);
  }

  outboxAccounts(): Set<number> {
    return new Set(
      this.sql
        .exec<Row>("SELECT DISTINCT account_id FROM outbox")
        .toArray()
        .map((r) => Number(r.account_id)),
    );
  }

  getMeta<T>(key: string): T | undefined {
    const row = this.sql.exec<Row>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row ? (JSON.parse(String(row.value)) as T) : undefined;
  }

  setMeta(key: string, value: unknown): void {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      JSON.stringify(value),
    );
  }

  // ---- enforcement actions this shard runs (enforcer.ts) --------------------------------

  /** Takes actions to run, due at `at` (an action already held keeps its own time). */
  enforceAdd(ids: readonly number[], at: number): void {
    for (const id of ids)
      this.sql.exec(
        "INSERT INTO enforce (action_id, due_at) VALUES (?, ?) ON CONFLICT (action_id) DO NOTHING",
        id,
        at,
      );
  }

  /** Actions due by `now`, oldest first, with their failures so far. */
  enforceDue(now: number, limit: number): Array<{ id: number; failures: number }> {
    return this.sql
      .exec<Row>(
        "SELECT action_id, failures FROM enforce WHERE due_at <= ? ORDER BY due_at LIMIT ?",
        now,
        limit,
      )
      .toArray()
      .map((r) => ({ id: Number(r.action_id), failures: Number(r.failures) }));
  }

  enforceSet(id: number, dueAt: number, failures: number): void {
    this.sql.exec(
      "UPDATE enforce SET due_at = ?, failures = ? WHERE action_id = ?",
      dueAt,
      failures,
      id,
    );
  }

  enforceDrop(id: number): void {
    this.sql.exec("DELETE FROM enforce WHERE action_id = ?", id);
  }

  /** The earliest time an action is due; undefined when none is held. */
  enforceNext(): number | undefined {
    const row = this.sql.exec<Row>("SELECT min(due_at) AS at FROM enforce").toArray()[0];
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  }

  enforceCount(): number {
    return Number(this.sql.exec<Row>("SELECT count(*) AS n FROM enforce").one().n);
  }

  // ---- locked accounts watched for order events (lock-watch.ts) -------------------------

  watchLock(w: LockWatchRow): void {
    this.sql.exec(
      `INSERT INTO lock_watch (account_id, login, server, session_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET login = excluded.login, server = excluded.server,
         session_id = excluded.session_id`,
      w.accountId,
      w.login,
      w.server,
      // Sealed like the subscriptions' (session-seals.ts): the token is a held account's.
      this.seals.sealedFor(w.sessionId),
    );
  }

  unwatchLock(accountId: number): void {
    this.sql.exec("DELETE FROM lock_watch WHERE account_id = ?", accountId);
  }

  /** The watched accounts, `sessionId` as stored (sealed): the caller opens it. */
  lockWatches(): LockWatchRow[] {
    return this.sql
      .exec<Row>("SELECT * FROM lock_watch")
      .toArray()
      .map((r) => ({
        accountId: Number(r.account_id),
        login: String(r.login),
        server: String(r.server),
        sessionId: String(r.session_id),
      }));
  }
}

/** A locked account watched for its order events. */
export interface LockWatchRow {
  accountId: number;
  login: string;
  server: string;
  sessionId: string;
}
