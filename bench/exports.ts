/**
 * CSV exports at 100,000 rows (issue 12, "Exports": constant memory, measured), and the
 * storage a reading takes (for "Retention": storage per account per month).
 *
 * Seeds 100,000 accounts (50,000 `breached`, the rest `disabled`, so no sweep polls them) and
 * one violation each, then downloads `GET /v1/violations.csv` (10,000, 50,000 and 100,000 rows,
 * by `since`) and `GET /v1/accounts.csv` (50,000 by `status`, then all) from `wrangler dev`,
 * reading the body as a stream (the client keeps no copy), while sampling the resident set of
 * the workerd process every 25 ms. Constant memory means the peak growth at 100,000 rows is
 * about that at 50,000 (the stream holds one 1,000-row page at a time), not twice it.
 *
 * Storage: inserts 100,000 readings and reads Postgres' size of `readings` with its indexes
 * before and after (PGlite: the Postgres 17 page layout Neon uses too).
 *
 *   node bench/exports.ts [--quick]     (quick: 20,000 rows)
 */
import { sql } from "drizzle-orm";
import { buildEvidence } from "../src/domain/breach-evidence.ts";
import { resolveRules } from "../src/risk/index.ts";
import { fmt, note, quick, runBench, sleep } from "./common.ts";
import { rssBytes, startStack, type Stack } from "./stack.ts";

const BENCH = "exports";
const TOTAL = quick ? 20_000 : 100_000;
const HALF = TOTAL / 2;
const READINGS = quick ? 20_000 : 100_000;

async function seed(stack: Stack): Promise<void> {
  const resolved = resolveRules({ preset: "ftmo-2step", initial_balance: 100_000 });
  if (!resolved.ok) throw new Error("rules");
  const rules = JSON.stringify(resolved.rules);
  const metrics = JSON.stringify({
    balance: 104_000,
    equity: 99_500,
    day_start: 104_000,
    hwm: 104_000,
    daily_floor: 99_000,
    max_floor: 90_000,
    usage: { daily: 90, max: 5, overall: 90 },
    trading_day: "2026-11-26",
    updated_at: "2026-11-26T06:00:00.000Z",
    source: "poll",
  });
  const started = Date.now();
  await stack.db.db.execute(sql`
    insert into accounts (login, server, session_id, label, status, rules, metrics)
    select (10000000 + g)::text, 'Bench-Export', md5(g::text),
      case when g % 7 = 0 then '=cmd|'' /C calc''!A0, "quoted"' else 'Phase 1 #' || g end,
      case when g <= ${HALF} then 'breached' else 'disabled' end,
      ${rules}::jsonb, ${metrics}::jsonb
    from generate_series(1, ${TOTAL}) g`);
  await stack.db.db.execute(sql`
    insert into violations (account_id, rule, period, equity, floor, usage, source, detected_at, rules_version)
    select id, 'daily_loss', '2026-11-26', 98999.99, 99000, 100.0002, 'event',
      timestamptz '2026-11-26 00:00:00+00' + (id || ' seconds')::interval, 1
    from accounts where server = 'Bench-Export'`);
  note(
    BENCH,
    `seeded ${TOTAL} accounts and violations in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

interface Download {
  rows: number;
  bytes: number;
  seconds: number;
  baselineRss: number;
  peakGrowth: number;
}

/** Streams one CSV, counting rows and bytes only, while sampling workerd's RSS. */
async function download(stack: Stack, path: string): Promise<Download> {
  const pid = stack.workerdPid();
  if (!pid) throw new Error("no workerd process");
  await sleep(500);
  const baselineRss = rssBytes(pid) ?? 0;
  let peak = baselineRss;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, rssBytes(pid) ?? 0);
      await sleep(25);
    }
  })();
  const started = performance.now();
  const res = await fetch(`${stack.worker.base}${path}`, {
    headers: { authorization: `Bearer ${stack.adminToken}` },
  });
  if (!res.ok || !res.body) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  let rows = 0;
  let bytes = 0;
  const LF = 10;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === LF) rows++;
  }
  const seconds = (performance.now() - started) / 1000;
  sampling = false;
  await sampler;
  // The header's line, and the labels with an embedded line break (none in this seed).
  return { rows: rows - 1, bytes, seconds, baselineRss, peakGrowth: peak - baselineRss };
}

/** Bytes of `readings` with its indexes per row, from a bulk insert of `n` rows. */
async function readingBytes(stack: Stack, n: number): Promise<number> {
  const size = async () => {
    const r = await stack.db.db.execute<{ s: string }>(
      sql`select pg_total_relation_size('readings')::text as s`,
    );
    return Number(r.rows[0]!.s);
  };
  await stack.db.db.execute(sql`vacuum analyze readings`).catch(() => {});
  const before = await size();
  // 100 accounts, one reading a minute each, as the poller writes them.
  await stack.db.db.execute(sql`
    insert into readings (account_id, at, balance, equity, usage, source)
    select a.id, timestamptz '2026-11-01 00:00:00+00' + (g || ' minutes')::interval,
      100000 + g, 99500 + g, 42.1234, 'poll'
    from (select id from accounts where server = 'Bench-Export' order by id limit 100) a,
      generate_series(1, ${n / 100}) g`);
  return ((await size()) - before) / n;
}

await runBench(BENCH, async (report) => {
  const stack = await startStack(BENCH);
  await seed(stack);
  await stack.admin("/v1/accounts?limit=1"); // warm the Worker up
  const dl: Record<string, Download> = {};
  /** `since` that leaves the newest `n` violations (one a second from 2026-11-26). */
  const since = (n: number) =>
    new Date(Date.UTC(2026, 10, 26) + (TOTAL - n + 1) * 1000).toISOString();
  const cases: Array<[string, string, number]> = [
    ["violations.n10", `/v1/violations.csv?since=${since(TOTAL / 10)}`, TOTAL / 10],
    ["violations.n50", `/v1/violations.csv?since=${since(HALF)}`, HALF],
    ["violations.n100", "/v1/violations.csv", TOTAL],
    ["accounts.n50", "/v1/accounts.csv?status=breached", HALF],
    ["accounts.n100", "/v1/accounts.csv", TOTAL],
  ];
  for (const [name, path, expected] of cases) {
    const d = await download(stack, path);
    dl[name] = d;
    if (d.rows < expected)
      throw new Error(`${path}: ${d.rows} rows, expected at least ${expected}`);
    note(
      BENCH,
      `${path}: ${d.rows} rows, ${fmt(d.bytes / 2 ** 20)} MiB in ${d.seconds.toFixed(2)} s, workerd RSS +${fmt(d.peakGrowth / 2 ** 20)} MiB`,
    );
    report.figure(
      `exports.${name.replace(/n(\d+)$/, (_, p) => `rss_growth.n${(expected * 1).toString()}`)}`,
      d.peakGrowth / 2 ** 20,
      "MiB",
      `peak workerd RSS over its level before the request; body ${fmt(d.bytes / 2 ** 20)} MiB`,
    );
  }
  for (const table of ["accounts", "violations"]) {
    const half = dl[`${table}.n50`]!;
    const total = dl[`${table}.n100`]!;
    report.figure(
      `exports.${table}.rate`,
      total.rows / total.seconds,
      "rows/s",
      `${total.rows} rows, ${fmt(total.bytes / 2 ** 20)} MiB in ${total.seconds.toFixed(1)} s`,
    );
    // Constant memory: twice the rows must not cost twice the memory. (The growth is not
    // compared with the body's size: it is mostly V8 heap headroom between collections.)
    report.figure(
      `exports.${table}.rss_ratio`,
      total.peakGrowth / Math.max(half.peakGrowth, 2 ** 20),
      "x",
      `growth at ${total.rows} rows / at ${half.rows} rows (floor 1 MiB)`,
      { op: "<", target: 1.5 },
    );
    report.figure(
      `exports.${table}.rss_over_body`,
      total.peakGrowth / total.bytes,
      "x",
      `growth at ${total.rows} rows / body size ${fmt(total.bytes / 2 ** 20)} MiB`,
    );
  }

  const perReading = await readingBytes(stack, READINGS);
  report.figure(
    "storage.reading",
    perReading,
    "bytes/reading",
    "readings table + its 3 indexes, Postgres 17 layout",
  );
  // Rows one polled account keeps under retention (1 reading/min): full 7 days, then 5-minute.
  const firstMonth = 7 * 1440 + 23 * 288;
  const steadyMonthly = 30 * 24; // hourly, once the account is older than 90 days
  const steadyResident = 7 * 1440 + 83 * 288;
  report.figure(
    "storage.account.first_month",
    (firstMonth * perReading) / 2 ** 20,
    "MiB",
    `${firstMonth} readings`,
  );
  report.figure(
    "storage.account.steady_resident",
    (steadyResident * perReading) / 2 ** 20,
    "MiB",
    `${steadyResident} readings in the 7-day and 90-day tiers`,
  );
  report.figure(
    "storage.account.steady_growth",
    (steadyMonthly * perReading) / 1024,
    "KiB/month",
    `${steadyMonthly} hourly readings a month past 90 days`,
  );
  const resolved = resolveRules({ preset: "ftmo-2step", initial_balance: 100_000 });
  if (resolved.ok) {
    const evidence = buildEvidence({
      rules: resolved.rules,
      rulesVersion: 3,
      metrics: {
        balance: 104_000,
        equity: 98_999.99,
        day_start: 104_000,
        hwm: 104_000,
        daily_floor: 99_000,
        max_floor: 90_000,
        usage: { daily: 100.0002, max: 50.0001, overall: 100.0002 },
        trading_day: "2026-11-26",
        updated_at: "2026-11-26T06:00:01.234Z",
        source: "event",
      },
      readingsBefore: Array.from({ length: 20 }, (_, i) => ({
        at: new Date(Date.UTC(2026, 10, 26, 6) - i * 1000).toISOString(),
        balance: 104_000,
        equity: 99_100 - i,
        usage: 98.1234,
        source: "event",
      })),
      cause: {
        kind: "event",
        event: {
          type: "AccountUpdate",
          session_id: "3733...",
          data: {
            balance: 104_000,
            equity: 98_999.99,
            profit: -5000.01,
            margin: 1200,
            freeMargin: 97_799.99,
          },
        },
        received_at: "2026-11-26T06:00:01.240Z",
      },
    });
    report.figure(
      "storage.evidence",
      JSON.stringify(evidence).length,
      "bytes/violation",
      "evidence JSON with 20 readings (jsonb is about the same)",
    );
  }
  report.data.downloads = dl;
  report.data.reading_bytes = perReading;
  await stack.close();
});
