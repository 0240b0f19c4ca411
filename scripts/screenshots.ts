/**
 * `npm run screenshots`: every console view at 1280x800, light and dark, into
 * docs/screenshots/ (`<view>-<light|dark>.png`). Starts its own stack (test/browser/stack.ts)
 * with the demo accounts at assorted drawdowns, a day of equity history for one of them and
 * a breach, so the pictures show what a desk sees.
 */
import { mkdirSync } from "node:fs";
import { readings } from "../src/db/schema.ts";
import { withDb } from "../src/db/client.ts";
import { registerAccountsInSimulator, seedDemo } from "../dev/seed.ts";
import { launchBrowser, root, startConsoleStack } from "../test/browser/stack.ts";

const out = `${root}docs/screenshots`;
mkdirSync(out, { recursive: true });
const say = (line: string) => console.log(`[screenshots] ${line}`);

const stack = await startConsoleStack();
const { browser, close: closeBrowser } = await launchBrowser();
try {
  const db = { DATABASE_URL: stack.pg.databaseUrl, DB_WS_PROXY: stack.pg.wsProxy };
  await seedDemo(db);
  await registerAccountsInSimulator(db, stack.sim);
  // Assorted drawdowns (deterministic): most calm, a few near their floors.
  const list = await stack.admin<{
    items: Array<{ id: number; session_id: string; rules: { initial_balance: number } }>;
  }>("GET", "/v1/accounts?limit=100");
  const sims = await stack.control<
    Array<{ session_id: string; account_id?: number; balance: number }>
  >("GET", "/accounts");
  // The featured account (the last) gets a day of history and a breach below instead.
  const featured = list.items[list.items.length - 1]!;
  const pollFirst = list.items.filter((a) => a.id !== featured.id).map((a) => a.id);
  for (const [i, s] of sims.entries()) {
    const drop = [0.002, 0.01, 0.018, 0.025, 0.031, 0.038, 0.0447, 0.0486][i % 8]!;
    await stack.control("PATCH", `/accounts/${s.session_id}`, {
      equity: Math.round(s.balance * (1 - drop)),
    });
  }
  await stack.admin("POST", "/v1/poll", { account_ids: pollFirst });

  // One account with a day of history that ends in a breach.
  const simAccount = sims.find((s) => s.account_id === featured.id) ?? sims[0]!;
  const initial = featured.rules.initial_balance;
  const now = Date.now();
  let equity = initial;
  const points = Array.from({ length: 240 }, (_, i) => {
    const drift = i < 120 ? 0.0002 : -0.0006;
    equity = Math.round(equity * (1 + drift + Math.sin(i * 1.7) * 0.0015));
    return {
      accountId: featured.id,
      at: new Date(now - (240 - i) * 6 * 60_000),
      balance: initial,
      equity,
      usage: 0,
      source: "poll",
    };
  });
  await withDb(db, (d) => d.insert(readings).values(points));
  await stack.control("PATCH", `/accounts/${simAccount.session_id}`, {
    equity: Math.round(initial * 0.948),
  });
  await stack.admin("POST", "/v1/poll", { account_ids: [featured.id] });
  say(`stack at ${stack.base}; featured account ${featured.id}`);

  // Events flowing for the monitor's rate: the live accounts' current figures, sent again
  // and again (their usage stays in the live band).
  const subs = await stack.admin<{ items: Array<{ account_id: number }> }>(
    "GET",
    "/v1/monitor/subscriptions",
  );
  const liveSessions = subs.items
    .map((x) => sims.find((s) => s.account_id === x.account_id)?.session_id)
    .filter((x): x is string => x !== undefined);
  const emitter = setInterval(() => liveSessions.forEach((id) => stack.sim.emitAccount(id)), 50);
  say(`${liveSessions.length} live accounts sending events`);

  const views: Array<[name: string, hash: string, ready: string]> = [
    ["at-risk", "#/", "tr[data-account-id]"],
    ["account", `#/account/${featured.id}`, ".chart canvas"],
    ["violations", "#/violations", "tr[data-violation-id]"],
    ["monitor", "#/monitor", "[data-shard]"],
    ["settings", "#/settings", "#settings-title"],
  ];
  for (const scheme of ["light", "dark"] as const) {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      colorScheme: scheme,
    });
    const page = await context.newPage();
    await page.goto(`${stack.base}/`);
    await page.waitForSelector("#key");
    await page.screenshot({ path: `${out}/sign-in-${scheme}.png` });
    await page.fill("#key", stack.token);
    await page.click("button[type=submit]");
    await page.waitForSelector("h1#atrisk-title");
    for (const [name, hash, ready] of views) {
      await page.goto(`${stack.base}/${hash}`);
      await page.waitForSelector(ready, { timeout: 30_000 });
      if (name === "violations") await page.click("tr[data-violation-id] button");
      await page.waitForTimeout(name === "monitor" ? 8000 : 1200);
      await page.screenshot({ path: `${out}/${name}-${scheme}.png` });
      say(`${name}-${scheme}.png`);
    }
    await context.close();
  }
  clearInterval(emitter);
} finally {
  await closeBrowser();
  await stack.close();
}
say(`written to docs/screenshots/`);
