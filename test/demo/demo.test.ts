/**
 * The demo shows the product (docs/demo.md): `scripts/dev.ts` started as `npm run dev` starts
 * it (embedded Postgres, the simulator, wrangler dev, the cron every minute), in a folder of
 * its own (`DEV_DATA_DIR`), watched through the API as the console watches it. Within
 * 4 minutes of the start: at least 3 accounts enter live monitoring, at least one breach is
 * recorded from an event, at least one account leaves live below its exit threshold, and the
 * Events link is open while accounts are live. The note of what to watch prints once. And the
 * whole log of that run (dev.ts, the simulator, wrangler, the Worker) holds no MTAPI session
 * token, webhook secret, URL credentials or secret key (docs/security.md, "The dev log").
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { NARRATION_TITLE } from "../../dev/narrate.ts";
import { ENFORCEMENT_DEMO_ORDERS, LOCKED_TICKET } from "../../dev/enforcement-demo.ts";
import { ENFORCEMENT_DEMO } from "../../sim/demo-script.ts";
import { calmAccounts, scriptedDemoAccounts } from "../../dev/seed.ts";
import { TRADES_DEMO, TRADES_DEMO_LABEL } from "../../dev/trades-demo.ts";
import { TRADE_RULE_NAMES } from "../../src/risk/trade-rules/index.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** The issue's bound (docs/demo.md): everything shows within 4 minutes of the start. */
const WITHIN_MS = 240_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Account {
  id: number;
  label: string | null;
  status: string;
  monitoring_state: "polling" | "live";
  rules: { live_exit_pct: number };
}
interface AuditEntry {
  account_id: number | null;
  action: string;
  actor: string;
  reason: string | null;
  at: string;
}
interface Violation {
  account_id: number;
  source: "poll" | "event";
  usage: number;
  rule: string;
  ticket: number | null;
  severity: "hard" | "soft";
}
interface Monitor {
  connection: { state: string };
  subscriptions: number;
}

/** `scripts/dev.ts` as a child process, its output kept. */
class DevStack {
  readonly output: string[] = [];
  private child: ChildProcess | undefined;
  readonly dataDir = mkdtempSync(`${tmpdir()}/demo-test-`);
  readonly token = `demo-${crypto.randomUUID()}`;
  base = "";
  readonly startedAt = Date.now();

  async start(): Promise<void> {
    const [port, inspector] = [await freePort(), await freePort()];
    this.base = `http://127.0.0.1:${port}`;
    const {
      WEBHOOK_SINK: _s,
      DATABASE_URL: _d,
      MTAPI_URL: _m,
      EVENTS_URL: _e,
      ...env
    } = process.env;
    // The Node that runs this test (the project's own, 24) runs dev.ts as `npm run dev` does.
    this.child = spawn(process.execPath, ["scripts/dev.ts"], {
      cwd: root,
      env: {
        ...env,
        DEV_DATA_DIR: this.dataDir,
        PORT: String(port),
        SIM_PORT: "0",
        INSPECTOR_PORT: String(inspector),
        ADMIN_TOKEN: this.token,
      },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let rest = "";
      stream?.on("data", (chunk: Buffer) => {
        const lines = (rest + chunk.toString("utf8")).split("\n");
        rest = lines.pop() ?? "";
        this.output.push(...lines);
      });
    }
    const deadline = Date.now() + 180_000;
    while (!this.output.some((l) => l.startsWith(NARRATION_TITLE))) {
      if (this.child.exitCode !== null)
        throw new Error(`dev.ts exited (${this.child.exitCode}):\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`dev.ts not ready in 180 s:\n${this.tail()}`);
      await sleep(250);
    }
  }

  /** The last lines of dev.ts's own output (wrangler's request lines left out). */
  tail(n = 40): string {
    return this.output
      .filter((l) => !l.includes("[wrangler:info]"))
      .slice(-n)
      .join("\n");
  }

  async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** SIGTERM (dev.ts stops what it started), then the whole group if it lingers. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(20_000)]);
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
    rmSync(this.dataDir, { recursive: true, force: true });
    // DEMO_LOG=<file>: the whole output of dev.ts (and wrangler), to read after a run.
    if (process.env.DEMO_LOG) writeFileSync(process.env.DEMO_LOG, `${this.output.join("\n")}\n`);
  }
}

describe("the demo of npm run dev", () => {
  const stack = new DevStack();
  afterAll(() => stack.stop(), 60_000);

  it("shows accounts entering live, a breach caught by an event and an account leaving live within 4 minutes", async () => {
    await stack.start();
    const seconds = () => Math.round((Date.now() - stack.startedAt) / 1000);
    const entered = new Set<number>();
    const exitedBelow = new Map<number, string>();
    let eventViolations: Violation[] = [];
    let pollViolations: Violation[] = [];
    let openWhileLive: { live: number; subscriptions: number } | null = null;
    const firstAt: Record<string, number> = { ready: seconds() };
    const errors: string[] = [];
    const mark = (what: string, met: boolean) => {
      if (met) firstAt[what] ??= seconds();
    };
    const done = () =>
      entered.size >= 3 &&
      eventViolations.length >= 1 &&
      exitedBelow.size >= 1 &&
      openWhileLive !== null;

    while (!done() && Date.now() - stack.startedAt < WITHIN_MS) {
      // One request at a time, as a console tab would; an error answer is counted and the
      // round tried again (the embedded Postgres serves one query at a time).
      let round;
      try {
        round = {
          monitor: await stack.get<Monitor>("/v1/monitor"),
          accounts: await stack.get<{ items: Account[] }>("/v1/accounts?limit=100"),
          violations: await stack.get<{ items: Violation[] }>("/v1/violations?limit=100"),
          enteredLog: await stack.get<{ items: AuditEntry[] }>(
            "/v1/audit?action=account.live_entered&limit=100",
          ),
          exitedLog: await stack.get<{ items: AuditEntry[] }>(
            "/v1/audit?action=account.live_exited&limit=100",
          ),
        };
      } catch (err) {
        errors.push(`${seconds()} s: ${err instanceof Error ? err.message : String(err)}`);
        await sleep(2_000);
        continue;
      }
      const { monitor, accounts, violations, enteredLog, exitedLog } = round;
      const live = accounts.items.filter((a) => a.monitoring_state === "live");
      if (live.length > 0 && monitor.connection.state === "open" && monitor.subscriptions > 0)
        openWhileLive ??= { live: live.length, subscriptions: monitor.subscriptions };
      for (const e of enteredLog.items) if (e.account_id !== null) entered.add(e.account_id);
      const exitOf = new Map(accounts.items.map((a) => [a.id, a.rules.live_exit_pct]));
      for (const e of exitedLog.items) {
        // "usage 84.12% < 90%" (docs/rules.md): the exit was the usage, below the account's threshold.
        const m = /usage (-?\d+(?:\.\d+)?)% < (\d+(?:\.\d+)?)%/.exec(e.reason ?? "");
        const exit = e.account_id === null ? undefined : exitOf.get(e.account_id);
        if (m && exit !== undefined && Number(m[1]) < exit && Number(m[2]) === exit)
          exitedBelow.set(e.account_id!, e.reason!);
      }
      eventViolations = violations.items.filter((v) => v.source === "event");
      // The trades scene's violations are the poll's by design (its account is polled).
      pollViolations = violations.items.filter(
        (v) => v.source === "poll" && !(TRADE_RULE_NAMES as readonly string[]).includes(v.rule),
      );
      mark("link open while live", openWhileLive !== null);
      mark("1st live", entered.size >= 1);
      mark("3 live", entered.size >= 3);
      mark("breach by event", eventViolations.length >= 1);
      mark("left live below exit", exitedBelow.size >= 1);
      if (!done()) await sleep(2_000);
    }

    process.stderr.write(
      `demo: first seen at (s since the start; ready = the note printed): ${JSON.stringify(firstAt)}; ` +
        `entered live ${entered.size}, event breaches ${eventViolations.length}, poll breaches ${pollViolations.length}, ` +
        `left live below exit ${exitedBelow.size} (${[...exitedBelow.values()].join("; ")}), link open while live ${JSON.stringify(openWhileLive)}; ` +
        `API errors ${errors.length}${errors.length ? `: ${errors.slice(0, 5).join(" | ")}` : ""}\n`,
    );
    expect(entered.size, stack.tail()).toBeGreaterThanOrEqual(3);
    expect(eventViolations.length, stack.tail()).toBeGreaterThanOrEqual(1);
    expect(exitedBelow.size, stack.tail()).toBeGreaterThanOrEqual(1);
    expect(openWhileLive, stack.tail()).not.toBeNull();
    // The demo's breaches are the live path's: none of them waited for a poll.
    expect(pollViolations).toEqual([]);
    // The note of what to watch prints once, naming the console's views.
    const note = stack.output.filter((l) => l.startsWith(NARRATION_TITLE));
    expect(note).toHaveLength(1);
    const text = stack.output.join("\n");
    expect(text).toContain("At risk (");
    expect(text).toContain("Monitor (");
  }, 480_000);

  // E18 (docs/enforcement.md, "Demo"), on the same running stack.
  it("E18: the enforced account's breach by event closes both positions and cancels the order, each once; a position opened while locked is closed from its order event", async () => {
    if (!stack.base) await stack.start();
    const simUrl = readFileSync(`${stack.dataDir}/sim-url`, "utf8").trim();
    const sid = ENFORCEMENT_DEMO.session_id;
    interface Step {
      ticket: number;
      action: string;
      state: string;
      sends: number;
    }
    interface Action {
      kind: string;
      dry_run: boolean;
      lock: boolean;
      state: string;
      steps: Step[];
    }
    let id: number | undefined;
    let actions: Action[] = [];
    let counts: { sends: Record<string, number>; sends_to_closed: number } | undefined;
    const settled = () =>
      actions.some((a) => a.kind === "close_all" && a.state === "done") &&
      actions.some((a) => a.kind === "lock_guard" && a.state === "done") &&
      (counts?.sends[String(LOCKED_TICKET)] ?? 0) > 0;
    while (!settled() && Date.now() - stack.startedAt < WITHIN_MS + 60_000) {
      try {
        if (id === undefined) {
          const list = await stack.get<{ items: Account[] }>("/v1/accounts?limit=100");
          id = list.items.find((a) => a.label?.includes("enforced"))?.id;
        }
        if (id !== undefined)
          actions = (await stack.get<{ actions: Action[] }>(`/v1/accounts/${id}/enforcement`))
            .actions;
        counts = (await (await fetch(`${simUrl}/control/close/${sid}`)).json()) as typeof counts;
      } catch {
        // The embedded Postgres serves one query at a time: tried again.
      }
      if (!settled()) await sleep(2_000);
    }
    process.stderr.write(
      `demo E18: account ${id}, actions ${JSON.stringify(actions.map((a) => [a.kind, a.state, a.steps.map((s) => [s.ticket, s.state, s.sends])]))}, closes ${JSON.stringify(counts)}\n`,
    );
    const closeAll = actions.find((a) => a.kind === "close_all");
    expect(closeAll, stack.tail()).toMatchObject({ dry_run: false, lock: true, state: "done" });
    expect(
      closeAll!.steps
        .map((s) => [s.ticket, s.action, s.state, s.sends])
        .sort((x, y) => Number(x[0]) - Number(y[0])),
    ).toEqual(
      ENFORCEMENT_DEMO_ORDERS.map((o) => [
        o.ticket,
        o.orderType === "BuyLimit" ? "cancel" : "close",
        "done",
        1,
      ]),
    );
    // One guard, for the position opened while locked (none started on a stale event).
    const guards = actions.filter((a) => a.kind === "lock_guard");
    expect(
      guards.map((g) => [g.state, g.steps.map((s) => [s.ticket, s.state, s.sends])]),
      stack.tail(),
    ).toEqual([["done", [[LOCKED_TICKET, "done", 1]]]]);
    // Each ticket received one OrderCloseSafe at the simulator, none after it was closed.
    expect(counts).toEqual({
      ...counts,
      sends: Object.fromEntries(
        [...ENFORCEMENT_DEMO_ORDERS.map((o) => o.ticket), LOCKED_TICKET].map((t) => [String(t), 1]),
      ),
      sends_to_closed: 0,
    });
    // The breach was caught by an event, and the guard started from the order event (not the
    // cron's pass over locked accounts).
    const violations = await stack.get<{ items: Violation[] }>(
      `/v1/violations?account_id=${id}&limit=10`,
    );
    expect(violations.items.map((v) => v.source)).toContain("event");
    expect(
      stack.output.some(
        (l) =>
          l.includes('"event":"enforcement:lock_guard"') &&
          l.includes(`"account_id":${id}`) &&
          l.includes('"from":"event"'),
      ),
      stack.tail(),
    ).toBe(true);
  }, 480_000);
  // The trades scene (docs/trades.md, "Demo"), on the same running stack.
  it("shows the trades scene: no stop loss, a 10 s hold, positions over the cutoff, a news open, each recorded once, and an escalation failing the account", async () => {
    const seconds = () => Math.round((Date.now() - stack.startedAt) / 1000);
    const deadline = stack.startedAt + 300_000;
    const expected = [
      "min_hold_s 24003 soft",
      "min_hold_s 24004 soft",
      "min_hold_s 24005 hard",
      "news 24002 soft",
      "stop_loss_required 24001 soft",
      "weekend_flat 24001 soft",
      "weekend_flat 24002 soft",
    ];
    let account: Account | undefined;
    let found: Violation[] = [];
    const errors: string[] = [];
    const firstAt: Record<string, number> = {};
    while (Date.now() < deadline) {
      try {
        account ??= (await stack.get<{ items: Account[] }>("/v1/accounts?limit=100")).items.find(
          (a) => a.label === TRADES_DEMO_LABEL,
        );
        if (account) {
          account = await stack.get<Account>(`/v1/accounts/${account.id}`);
          found = (
            await stack.get<{ items: Violation[] }>(
              `/v1/accounts/${account.id}/violations?limit=100`,
            )
          ).items;
          for (const v of found) firstAt[`${v.rule} ${v.ticket}`] ??= seconds();
          if (account.status === "breached") firstAt.failed ??= seconds();
          if (account.status === "breached" && found.length >= expected.length) break;
        }
      } catch (err) {
        errors.push(`${seconds()} s: ${err instanceof Error ? err.message : String(err)}`);
      }
      await sleep(2_000);
    }
    process.stderr.write(
      `demo trades: first seen at (s since the start): ${JSON.stringify(firstAt)}; API errors ${errors.length}\n`,
    );
    expect(account, stack.tail()).toBeDefined();
    // Each recorded once, the escalated one hard, and the account failed by it.
    expect(found.map((v) => `${v.rule} ${v.ticket} ${v.severity}`).sort(), stack.tail()).toEqual(
      expected,
    );
    expect(found.every((v) => v.source === "poll")).toBe(true);
    expect(account!.status).toBe("breached");
    // The trades, through the API: each closed short hold names the violation it caused.
    const closed = await stack.get<{ items: Array<{ ticket: number; violations: number[] }> }>(
      `/v1/accounts/${account!.id}/trades?state=closed`,
    );
    const byTicket = new Map(closed.items.map((t) => [t.ticket, t.violations.length]));
    expect([24003, 24004, 24005].map((t) => byTicket.get(t))).toEqual([1, 1, 1]);
    const soft = await stack.get<{ items: Violation[] }>(
      `/v1/accounts/${account!.id}/violations?severity=soft&limit=100`,
    );
    expect(soft.items).toHaveLength(6);
  }, 360_000);

  it("leaves no session token, webhook secret, URL credentials or secret key in the dev stack's log", async () => {
    // The same run as above (one stack per file): its output so far, every line of it.
    expect(stack.output.length).toBeGreaterThan(0);
    const text = stack.output.join("\n");
    // Every session token the simulator knows (the demo accounts' and any renewed since),
    // and the demo's own list of them.
    const simUrl = /simulator at (http:\/\/\S+) /.exec(text)?.[1];
    expect(simUrl, stack.tail()).toBeDefined();
    const known = (await (await fetch(`${simUrl}/control/accounts`)).json()) as Array<{
      session_id: string;
    }>;
    const tokens = new Set([
      ...known.map((a) => a.session_id),
      ...calmAccounts().map((a) => a.session_id),
      ...scriptedDemoAccounts().map((a) => a.session_id),
      TRADES_DEMO.session_id,
    ]);
    expect(tokens.size).toBeGreaterThanOrEqual(20);
    // The keys dev.ts made for this run: the one sealing secrets at rest and the cookie key.
    const keys = ["secrets-key", "session-secret"].map((f) => {
      const path = `${stack.dataDir}/${f}`;
      expect(existsSync(path), path).toBe(true);
      return readFileSync(path, "utf8").trim();
    });
    const leaked = [...tokens, ...keys].filter((secret) => text.includes(secret));
    expect(leaked).toEqual([]);
    // A webhook signing secret (the dev sink's endpoint has one) and a URL carrying a
    // password, in any line (a password shown as `***` is masked, not leaked).
    expect(text).not.toMatch(/whsec_[A-Za-z0-9+/=]{8,}/);
    expect(text).not.toMatch(/[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:(?!\*\*\*@)[^\s/@]+@/i);
  });
});
