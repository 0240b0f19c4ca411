/**
 * The trader page in a real browser (docs/trader-page.md): a share link opened by a fresh
 * browser context that holds no key and no cookie sees its one account and nothing else, a
 * live breach appears on the open page without a reload, the breach report's numbers are the
 * violation's (on the page and printed), and a revoked link is a 404 at once. Waits are for
 * the DOM with generous limits; no timing is asserted (the page polls once a second).
 */
import type { Browser, BrowserContext, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startConsoleStack, type ConsoleStack } from "./stack.ts";

let stack: ConsoleStack;
let browser: Browser;
let closeBrowser: () => Promise<void>;

interface Created {
  id: number;
  label: string;
  login: string;
  session: string;
}

let seq = 0;
/** An account in the simulator and the monitor (ftmo-2step, 100,000): daily floor 95,000. */
async function createAccount(
  equity: number,
  rules: Record<string, unknown> = {},
): Promise<Created> {
  seq++;
  const session = `trader-${seq}-${Math.random().toString(36).slice(2)}`;
  const login = String(8_100_000 + seq);
  const label = `Trader ${seq} ${session.slice(-5)}`;
  await stack.control("POST", "/accounts", {
    session_id: session,
    login,
    server: "Sim-Trader",
    balance: 100_000,
    equity,
    walk: false,
  });
  const account = await stack.admin<{ id: number }>("POST", "/v1/accounts", {
    login,
    server: "Sim-Trader",
    session_id: session,
    label,
    rules: { preset: "ftmo-2step", initial_balance: 100_000, ...rules },
  });
  await stack.admin("POST", "/v1/poll", { account_ids: [account.id] });
  return { id: account.id, label, login, session };
}

/** A fresh context with no key, no cookie, no storage: what a trader's phone has. */
async function freshContext(): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
}

beforeAll(async () => {
  stack = await startConsoleStack();
  ({ browser, close: closeBrowser } = await launchBrowser());
}, 240_000);

afterAll(async () => {
  await closeBrowser?.();
  await stack?.close();
}, 60_000);

describe("trader page", () => {
  it("shows its one account, a breach without a reload, and the report with the violation's numbers", async () => {
    const mine = await createAccount(99_000);
    const neighbour = await createAccount(98_000);
    const link = await stack.admin<{ id: number; url: string }>(
      "POST",
      `/v1/accounts/${mine.id}/shares`,
      { expires_in_days: 30 },
    );
    const url = link.url.replace(/^https?:\/\/[^/]+/, stack.base);
    const token = new URL(url).pathname.split("/")[2]!;

    const context = await freshContext();
    const page = await context.newPage();
    const requests: Request[] = [];
    page.on("request", (r) => requests.push(r));
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));

    const res = await page.goto(url);
    expect(res!.status()).toBe(200);
    await page.waitForSelector("#account-title", { timeout: 20_000 });
    expect(await page.textContent("#account-title")).toBe(mine.label);
    await page.waitForSelector('[data-rule="daily_loss"] [data-field="floor"]');
    expect(await page.textContent('[data-rule="daily_loss"] [data-field="floor"]')).toBe(
      "95,000.00",
    );
    expect(await page.textContent('[data-rule="daily_loss"] [data-field="distance"]')).toBe(
      "4,000.00",
    );
    expect(await page.textContent("#reset")).toContain("Europe/Prague");
    const text = (await page.textContent("body"))!;
    expect(text).not.toContain(neighbour.label);
    expect(text).not.toContain(neighbour.login);
    expect(text).not.toContain(mine.session);

    // A breach (recorded by a poll) reaches the open page without a reload.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await stack.control("PATCH", `/accounts/${mine.session}`, { equity: 94_800 });
    await stack.admin("POST", "/v1/poll", { account_ids: [mine.id] });
    await page.waitForSelector("#breach-banner", { timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    expect(await page.textContent("#account-status")).toBe("breached");

    // The report's numbers are the violation's.
    const [violation] = (
      await stack.admin<{ items: Array<{ id: number; equity: number; floor: number }> }>(
        "GET",
        `/v1/accounts/${mine.id}/violations`,
      )
    ).items;
    expect(violation).toMatchObject({ equity: 94_800, floor: 95_000 });
    const money = (v: number) =>
      v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    await page.click(`[data-violation-id="${violation!.id}"] button`);
    await page.waitForSelector('[data-field="report-floor"]', { timeout: 20_000 });
    expect(await page.textContent('[data-field="report-floor"]')).toBe(money(violation!.floor));
    expect(await page.textContent('[data-field="report-equity"]')).toBe(money(violation!.equity));
    expect(await page.textContent('[data-field="report-check"]')).toMatch(/agrees/);

    // Everything the page asked for was its own: the page, its assets, its link's data.
    for (const r of requests) {
      const u = new URL(r.url());
      expect(u.origin).toBe(stack.base);
      expect(
        u.pathname === `/t/${token}` ||
          /^\/trader\.(js|css)$/.test(u.pathname) ||
          u.pathname.startsWith(`/v1/shared/${token}`),
        u.pathname,
      ).toBe(true);
      const headers = await r.allHeaders();
      expect(headers.authorization).toBeUndefined();
      expect(headers.cookie).toBeUndefined();
    }
    expect(await context.cookies()).toEqual([]);
    expect(errors).toEqual([]);

    // The printable report, opened the way the page links it.
    const printable = await context.newPage();
    const printed = await printable.goto(
      `${stack.base}/v1/shared/${token}/violations/${violation!.id}/report?format=html`,
    );
    expect(printed!.status()).toBe(200);
    expect(await printable.textContent("#report-floor")).toBe(money(violation!.floor));
    expect(await printable.textContent("#report-equity")).toBe(money(violation!.equity));
    expect(await printable.textContent("#check")).toMatch(/agrees/);

    // Revoked: the open page says so, and the link is a 404 at once.
    await stack.admin("DELETE", `/v1/accounts/${mine.id}/shares/${link.id}`);
    const again = await context.newPage();
    const gone = await again.goto(url);
    expect(gone!.status()).toBe(404);
    await again.waitForSelector("#missing", { timeout: 20_000 });
    expect(await again.textContent("body")).not.toContain(mine.label);
    await page.waitForSelector("#missing", { timeout: 20_000 });
    const data = await fetch(`${stack.base}/v1/shared/${token}`);
    expect(data.status).toBe(404);
    await context.close();
  });

  it("lets the desk make a link in the console, shown once, that opens the account for the trader", async () => {
    const mine = await createAccount(99_500);
    const desk = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const console_ = await desk.newPage();
    await console_.goto(`${stack.base}/`);
    await console_.fill("#key", stack.token);
    await console_.click("button[type=submit]");
    await console_.waitForSelector("h1#atrisk-title", { timeout: 20_000 });
    await console_.goto(`${stack.base}/#/account/${mine.id}`);
    await console_.click('#share-links button:has-text("Share with the trader")');
    await console_.fill("#share-days", "7");
    await console_.fill("#reason", "trader asked for a live view");
    await console_.click('dialog button[type="submit"]');
    await console_.waitForSelector("#share-url", { timeout: 20_000 });
    const url = await console_.inputValue("#share-url");
    expect(url).toMatch(/\/t\/[A-Za-z0-9_-]{43}$/);
    await console_.waitForSelector("#share-links tr[data-share-id]", { timeout: 20_000 });
    await desk.close();

    const trader = await freshContext();
    const page = await trader.newPage();
    expect((await page.goto(url))!.status()).toBe(200);
    await page.waitForSelector("#account-title", { timeout: 20_000 });
    expect(await page.textContent("#account-title")).toBe(mine.label);
    await trader.close();
  });

  it("lists the account's trades with the violation each caused", async () => {
    const mine = await createAccount(99_800, {
      trade_rules: { stop_loss_required: { grace_s: 60 } },
    });
    const openTime = new Date(Date.now() - 600_000).toISOString().slice(0, 19);
    await stack.control("PUT", `/orders/${mine.session}`, {
      opened: [
        { ticket: 4401, symbol: "XAUUSD", orderType: "Sell", lots: 0.5, openPrice: 2400, openTime },
      ],
    });
    await stack.admin("POST", "/v1/poll", { account_ids: [mine.id] });
    const link = await stack.admin<{ url: string }>("POST", `/v1/accounts/${mine.id}/shares`, {});
    const context = await freshContext();
    const page = await context.newPage();
    await page.goto(link.url.replace(/^https?:\/\/[^/]+/, stack.base));
    const row = await page.waitForSelector('#trades li[data-ticket="4401"]', { timeout: 20_000 });
    const text = (await row.textContent())!;
    expect(text).toContain("XAUUSD Sell 0.5");
    expect(text).toContain("no stop loss");
    expect(text).toContain("stop loss required");
    expect(await row.getAttribute("data-state")).toBe("open");
    await context.close();
  });

  it("answers a guessed link with the same 404 page, and asks for no key", async () => {
    const context = await freshContext();
    const page = await context.newPage();
    const res = await page.goto(`${stack.base}/t/${"Z".repeat(43)}`);
    expect(res!.status()).toBe(404);
    await page.waitForSelector("#missing", { timeout: 20_000 });
    expect(await page.$("#key")).toBeNull();
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });
});
