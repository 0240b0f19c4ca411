/**
 * `npm run screenshots:trader`: the trader page (docs/trader-page.md) at 1280x800 and at a
 * phone's size (390x844), light and dark, and the printable breach report as printed, into
 * docs/screenshots/ (`trader-<desktop|phone>-<light|dark>.png`, `breach-report-print.png`).
 * Starts its own stack (test/browser/stack.ts) with one account that has a day of equity
 * history ending in a daily-loss breach, and a share link to it.
 */
import { mkdirSync } from "node:fs";
import { withDb } from "../src/db/client.ts";
import { readings } from "../src/db/schema.ts";
import { launchBrowser, root, startConsoleStack } from "../test/browser/stack.ts";

const out = `${root}docs/screenshots`;
mkdirSync(out, { recursive: true });
const say = (line: string) => console.log(`[screenshots:trader] ${line}`);

const stack = await startConsoleStack();
const { browser, close: closeBrowser } = await launchBrowser();
try {
  const session = `shot-${crypto.randomUUID()}`;
  await stack.control("POST", "/accounts", {
    session_id: session,
    login: "51020304",
    server: "Broker-Live",
    balance: 100_000,
    equity: 100_000,
    walk: false,
  });
  const account = await stack.admin<{ id: number }>("POST", "/v1/accounts", {
    login: "51020304",
    server: "Broker-Live",
    session_id: session,
    label: "Phase 1 · #2207",
    rules: {
      preset: "ftmo-2step",
      initial_balance: 100_000,
      objectives: { profit_target: { limit: 10, unit: "percent" }, min_trading_days: 4 },
    },
  });
  // A day of readings (one a minute) drifting down towards the 95,000 daily floor.
  const now = Date.now();
  let equity = 100_400;
  const points = Array.from({ length: 24 * 60 }, (_, i) => {
    const drift = i < 900 ? 0.00001 : -0.000045;
    equity = Math.round(equity * (1 + drift + Math.sin(i * 0.37) * 0.0006) * 100) / 100;
    return {
      accountId: account.id,
      at: new Date(now - (24 * 60 - i) * 60_000),
      balance: 100_000,
      equity,
      usage: 0,
      source: "poll",
    };
  });
  const db = { DATABASE_URL: stack.pg.databaseUrl, DB_WS_PROXY: stack.pg.wsProxy };
  await withDb(db, (d) => d.insert(readings).values(points));
  await stack.control("PATCH", `/accounts/${session}`, { equity: 94_872.35 });
  await stack.admin("POST", "/v1/poll", { account_ids: [account.id] });
  const link = await stack.admin<{ url: string }>("POST", `/v1/accounts/${account.id}/shares`, {
    expires_in_days: 30,
  });
  const url = link.url.replace(/^https?:\/\/[^/]+/, stack.base);
  const violations = await stack.admin<{ items: Array<{ id: number }> }>(
    "GET",
    `/v1/accounts/${account.id}/violations`,
  );
  const violationId = violations.items[0]!.id;
  say(`account ${account.id}, violation ${violationId}`);

  const sizes = [
    ["desktop", { width: 1280, height: 800 }, false],
    ["phone", { width: 390, height: 844 }, true],
  ] as const;
  for (const scheme of ["light", "dark"] as const) {
    for (const [name, viewport, isMobile] of sizes) {
      const context = await browser.newContext({
        viewport,
        isMobile,
        deviceScaleFactor: isMobile ? 2 : 1,
        colorScheme: scheme,
        timezoneId: "Europe/London",
      });
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForSelector(".chart canvas", { timeout: 30_000 });
      await page.click(`[data-violation-id="${violationId}"] button`);
      await page.waitForSelector('[data-field="report-floor"]', { timeout: 30_000 });
      // The desk-size picture shows the top of the page (the report opens lower down).
      if (!isMobile) await page.evaluate(() => scrollTo(0, 0));
      await page.waitForTimeout(800);
      await page.screenshot({ path: `${out}/trader-${name}-${scheme}.png`, fullPage: isMobile });
      say(`trader-${name}-${scheme}.png`);
      await context.close();
    }
  }
  const context = await browser.newContext({ viewport: { width: 800, height: 1100 } });
  const page = await context.newPage();
  const token = new URL(url).pathname.split("/")[2]!;
  await page.goto(`${stack.base}/v1/shared/${token}/violations/${violationId}/report?format=html`);
  await page.emulateMedia({ media: "print" });
  await page.screenshot({ path: `${out}/breach-report-print.png`, fullPage: true });
  say("breach-report-print.png");
  await context.close();
} finally {
  await closeBrowser();
  await stack.close();
}
say("written to docs/screenshots/");
