/**
 * The operator console in a real browser: headless Chromium (Debian's package) driven by
 * playwright-core against the whole system (Postgres, simulator, wrangler dev serving the
 * Worker and dist/console). Waits are for the DOM, with generous limits; no timing is asserted
 * here (the console benchmark measures it).
 */
import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startConsoleStack, type ConsoleStack } from "./stack.ts";

let stack: ConsoleStack;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let context: BrowserContext;
let page: Page;

interface Created {
  id: number;
  label: string;
  session: string;
}

let seq = 0;
/** An account in the simulator and the monitor (ftmo-2step, 100,000): daily floor 95,000. */
async function createAccount(equity = 100_000): Promise<Created> {
  seq++;
  const session = `browser-${seq}-${Math.random().toString(36).slice(2)}`;
  const login = String(7_000_000 + seq);
  const label = `Browser ${seq} ${session.slice(-5)}`;
  await stack.control("POST", "/accounts", {
    session_id: session,
    login,
    server: "Sim-Browser",
    balance: 100_000,
    equity,
    walk: false,
  });
  const account = await stack.admin<{ id: number }>("POST", "/v1/accounts", {
    login,
    server: "Sim-Browser",
    session_id: session,
    label,
    rules: { preset: "ftmo-2step", initial_balance: 100_000 },
  });
  return { id: account.id, label, session };
}

/** Drives an account live (97% of the daily allowance, then a poll) and waits for its subscription. */
async function makeLive(a: Created): Promise<void> {
  await stack.control("PATCH", `/accounts/${a.session}`, { equity: 95_150 });
  const polled = await stack.admin<{ entered_live: number }>("POST", "/v1/poll", {
    account_ids: [a.id],
  });
  expect(polled.entered_live).toBe(1);
  for (let i = 0; i < 200; i++) {
    const subs = await stack.admin<{ items: Array<{ account_id: number }> }>(
      "GET",
      "/v1/monitor/subscriptions",
    );
    if (subs.items.some((s) => s.account_id === a.id)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`account ${a.id} was never subscribed`);
}

async function signIn(p: Page): Promise<void> {
  await p.goto(`${stack.base}/`);
  await p.fill("#key", stack.token);
  await p.click("button[type=submit]");
  await p.waitForSelector("h1#atrisk-title", { timeout: 20_000 });
}

beforeAll(async () => {
  stack = await startConsoleStack();
  ({ browser, close: closeBrowser } = await launchBrowser());
  context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  page = await context.newPage();
}, 240_000);

afterAll(async () => {
  await closeBrowser?.();
  await stack?.close();
}, 60_000);

describe("operator console", () => {
  it("serves the console from the Worker with its API beside it", async () => {
    const html = await (await fetch(`${stack.base}/`)).text();
    expect(html).toContain('<div id="app">');
    expect(html).toMatch(/src="\/app\.js\?v=[0-9a-f]{12}"/);
    const js = await fetch(`${stack.base}/app.js`);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect((await fetch(`${stack.base}/health`)).status).toBe(200);
    expect((await fetch(`${stack.base}/v1/accounts`)).status).toBe(401);
  });

  it("signs in with a key, keeping it out of browser storage and script-readable cookies", async () => {
    await signIn(page);
    const seen = await page.evaluate(() => ({
      cookie: document.cookie,
      local: JSON.stringify(localStorage),
      session: JSON.stringify(sessionStorage),
    }));
    expect(seen.cookie).not.toContain("ds_session");
    expect(seen.local + seen.session).not.toContain(stack.token);
    const cookies = await context.cookies(stack.base);
    const session = cookies.find((c) => c.name === "ds_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    expect(session!.value).not.toContain(stack.token);
    await expect(page.textContent(".who")).resolves.toContain("admin");
  });

  it("shows a breach recorded from an event on At risk without a reload", async () => {
    const a = await createAccount();
    await makeLive(a);
    await page.goto(`${stack.base}/#/`);
    await page.fill('input[aria-label="Search"]', a.label);
    await page.waitForSelector(`tr[data-account-id="${a.id}"] .badge.live`, { timeout: 20_000 });
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    // Below the 95,000 floor: the Events socket delivers it, the monitor records the breach.
    await stack.control("PATCH", `/accounts/${a.session}`, { equity: 94_900 });
    await page.waitForSelector(`[data-breach-account="${a.id}"]`, { timeout: 20_000 });
    // Same document: no reload happened.
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    const v = await stack.admin<{ items: Array<{ source: string }> }>(
      "GET",
      `/v1/violations?account_id=${a.id}`,
    );
    expect(v.items.map((x) => x.source)).toEqual(["event"]);
  });

  it("draws the account's equity chart with its floors", async () => {
    const a = await createAccount();
    // A few readings: polls at different equities.
    for (const equity of [99_000, 97_500, 96_200]) {
      await stack.control("PATCH", `/accounts/${a.session}`, { equity });
      await stack.admin("POST", "/v1/poll", { account_ids: [a.id] });
      await new Promise((r) => setTimeout(r, 1100));
    }
    await page.goto(`${stack.base}/#/account/${a.id}`);
    await page.waitForSelector(".chart canvas", { timeout: 20_000 });
    await page.waitForFunction(() =>
      document.querySelector(".chart")?.closest("section")?.textContent?.includes("readings"),
    );
    const legend = await page.textContent(".chart .u-legend");
    expect(legend).toContain("Daily floor");
    expect(legend).toContain("Max floor");
    // The canvas is drawn: count pixels in the floors' colours and painted pixels at all.
    const counts = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>(".chart canvas")!;
      const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      const css = getComputedStyle(document.documentElement);
      const rgb = (name: string) => {
        const hex = css.getPropertyValue(name).trim().replace("#", "");
        return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
      };
      const near = (i: number, c: number[]) =>
        Math.abs(data[i]! - c[0]!) < 40 &&
        Math.abs(data[i + 1]! - c[1]!) < 40 &&
        Math.abs(data[i + 2]! - c[2]!) < 40 &&
        data[i + 3]! > 128;
      const [daily, max, equity] = [rgb("--c-daily"), rgb("--c-max"), rgb("--c-equity")];
      let painted = 0,
        d = 0,
        m = 0,
        e = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 0) painted++;
        if (near(i, daily)) d++;
        if (near(i, max)) m++;
        if (near(i, equity)) e++;
      }
      return { painted, daily: d, max: m, equity: e };
    });
    expect(counts.painted).toBeGreaterThan(1000);
    expect(counts.daily).toBeGreaterThan(50);
    expect(counts.max).toBeGreaterThan(50);
    expect(counts.equity).toBeGreaterThan(50);
  });

  it("asks for a reason and resets a breached account (admin)", async () => {
    const a = await createAccount();
    await stack.control("PATCH", `/accounts/${a.session}`, { equity: 90_000 });
    await stack.admin("POST", "/v1/poll", { account_ids: [a.id] });
    await page.goto(`${stack.base}/#/account/${a.id}`);
    await page.waitForSelector('[data-testid="account-status"]:has-text("breached")', {
      timeout: 20_000,
    });
    await stack.control("PATCH", `/accounts/${a.session}`, { equity: 100_000 });
    await page.click('.actions-bar button:has-text("Reset")');
    await page.waitForSelector("dialog[open] textarea#reason");
    await page.fill("dialog[open] textarea#reason", "trader topped up, desk approved");
    await page.click("dialog[open] button[type=submit]");
    await page.waitForSelector('[data-testid="account-status"]:has-text("active")', {
      timeout: 20_000,
    });
  });

  it("offers no reset to a viewer signed in with a viewer key, and the API refuses it one", async () => {
    const a = await createAccount();
    await stack.control("PATCH", `/accounts/${a.session}`, { equity: 90_000 });
    await stack.admin("POST", "/v1/poll", { account_ids: [a.id] });
    // A real viewer key, made through the API as an admin would.
    const key = await stack.admin<{ key: string; role: string }>("POST", "/v1/keys", {
      name: `desk-viewer-${a.id}`,
      role: "viewer",
      reason: "browser test: a viewer's console",
    });
    expect(key.role).toBe("viewer");
    // Its own browser context (cookie jar), signed in through the console's form like a user.
    const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const viewerPage = await viewerContext.newPage();
      await viewerPage.goto(`${stack.base}/`);
      await viewerPage.fill("#key", key.key);
      await viewerPage.click("button[type=submit]");
      await viewerPage.waitForSelector("h1#atrisk-title", { timeout: 20_000 });
      expect(await viewerPage.textContent(".who")).toContain("viewer");
      await viewerPage.goto(`${stack.base}/#/account/${a.id}`);
      await viewerPage.waitForSelector('[data-testid="account-status"]:has-text("breached")', {
        timeout: 20_000,
      });
      expect(await viewerPage.locator(".actions-bar").count()).toBe(0);
      expect(await viewerPage.locator('button:has-text("Reset")').count()).toBe(0);
      // Not only hidden: the viewer's session cookie may not reset (403, not a CSRF refusal).
      const refused = await viewerPage.evaluate(async (id) => {
        const res = await fetch(`/v1/accounts/${id}/reset`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-requested-with": "drawdown-sentinel" },
          body: JSON.stringify({ reason: "a viewer tries" }),
        });
        return { status: res.status, body: (await res.json()) as unknown };
      }, a.id);
      expect(refused).toMatchObject({
        status: 403,
        body: { error: { code: "forbidden", details: { needed: "operator", role: "viewer" } } },
      });
      const account = await stack.admin<{ status: string }>("GET", `/v1/accounts/${a.id}`);
      expect(account.status).toBe("breached");
    } finally {
      await viewerContext.close();
    }
  });

  it("exports the violations as a CSV download", async () => {
    await page.goto(`${stack.base}/#/violations`);
    await page.waitForSelector("tr[data-violation-id]", { timeout: 20_000 });
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 20_000 }),
      page.click('button:has-text("Export CSV")'),
    ]);
    expect(download.suggestedFilename()).toMatch(/^violations-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = readFileSync((await download.path())!, "utf8");
    const lines = text.trim().split("\r\n");
    // The server's export (GET /v1/violations.csv), with the rules version that judged each.
    expect(lines[0]).toBe(
      "id,account_id,rule,period,equity,floor,usage,source,detected_at,rules_version",
    );
    const api = await stack.admin<{ items: Array<{ id: number }> }>(
      "GET",
      "/v1/violations?limit=500",
    );
    expect(lines.length - 1).toBe(api.items.length);
    expect(lines.slice(1).map((l) => Number(l.split(",")[0]))).toEqual(api.items.map((v) => v.id));
  });

  it("signs out, clearing the session", async () => {
    await page.goto(`${stack.base}/#/`);
    await page.waitForSelector("h1#atrisk-title", { timeout: 20_000 });
    await page.click('button:has-text("Sign out")');
    await page.waitForSelector("#key", { timeout: 20_000 });
    const cookies = await context.cookies(stack.base);
    expect(cookies.find((c) => c.name === "ds_session")).toBeUndefined();
    const status = await page.evaluate(async () => (await fetch("/v1/session")).status);
    expect(status).toBe(401);
    await page.reload();
    await page.waitForSelector("#key", { timeout: 20_000 });
  });
});
