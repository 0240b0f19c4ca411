/**
 * The console's version 3 parts in a real browser (docs/console.md, "Account", "Violations",
 * "Settings"): adding an account with credentials, credentials and a pasted session token with
 * the problem they clear, trades with the violations they caused, severity, enforcement
 * actions step by step, and the halt switch, each by the role that may use it. Headless
 * Chromium against the whole system (Postgres, simulator, wrangler dev with `ENFORCEMENT=on`).
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startConsoleStack, type ConsoleStack } from "./stack.ts";

let stack: ConsoleStack;
let browser: Browser;
let closeBrowser: () => Promise<void>;
const contexts: BrowserContext[] = [];
let admin: Page;
let operator: Page;
let viewer: Page;

const WAIT = { timeout: 20_000 };
let seq = 0;

interface SimAccount {
  login: string;
  server: string;
  session: string;
}

/** An account in the simulator only (balance and equity 100,000). */
async function simAccount(extra: Record<string, unknown> = {}): Promise<SimAccount> {
  seq++;
  const a = {
    login: String(8_000_000 + seq),
    server: "Sim-V3",
    session: `v3-${seq}-${crypto.randomUUID()}`,
  };
  await stack.control("POST", "/accounts", {
    session_id: a.session,
    login: a.login,
    server: a.server,
    balance: 100_000,
    equity: 100_000,
    walk: false,
    ...extra,
  });
  return a;
}

/** An account in the simulator and the API (ftmo-2step, 100,000, `rules` merged in). */
async function account(
  rules: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<SimAccount & { id: number }> {
  const a = await simAccount(extra);
  const made = await stack.admin<{ id: number }>("POST", "/v1/accounts", {
    login: a.login,
    server: a.server,
    session_id: a.session,
    label: `V3 ${seq}`,
    rules: { preset: "ftmo-2step", initial_balance: 100_000, ...rules },
  });
  return { ...a, id: made.id };
}

const poll = (id: number) => stack.admin("POST", "/v1/poll", { account_ids: [id] });

/** What went wrong in each page (script errors, crashes, 401s), said when a test fails. */
const troubles: string[] = [];

/** A signed-in page of its own browser context (cookie jar). */
async function signedIn(key: string, who: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on("pageerror", (e) => troubles.push(`${who}: page error ${String(e)}`));
  page.on("crash", () => troubles.push(`${who}: page crashed`));
  page.on("response", (r) => {
    if (r.status() === 401) troubles.push(`${who}: 401 ${r.request().method()} ${r.url()}`);
  });
  await page.goto(`${stack.base}/`);
  await page.fill("#key", key);
  await page.click("button[type=submit]");
  await page.waitForSelector("h1#atrisk-title", WAIT);
  return page;
}

async function keyOf(role: "viewer" | "operator"): Promise<string> {
  const made = await stack.admin<{ key: string }>("POST", "/v1/keys", {
    name: `v3-${role}`,
    role,
    reason: "browser test",
  });
  return made.key;
}

/** Fills the open dialog's reason and submits it. */
async function confirm(page: Page, reason: string): Promise<void> {
  await page.fill("dialog[open] textarea#reason", reason);
  await page.click("dialog[open] button[type=submit]");
}

/** Every input's value and the whole document, to look for a secret in. */
const pageText = (page: Page) =>
  page.evaluate(() => ({
    html: document.documentElement.outerHTML,
    values: [...document.querySelectorAll("input, textarea")].map(
      (e) => (e as HTMLInputElement).value,
    ),
  }));

beforeAll(async () => {
  stack = await startConsoleStack({ vars: { ENFORCEMENT: "on" } });
  ({ browser, close: closeBrowser } = await launchBrowser());
  const [viewerKey, operatorKey] = [await keyOf("viewer"), await keyOf("operator")];
  [admin, operator, viewer] = await Promise.all([
    signedIn(stack.token, "admin"),
    signedIn(operatorKey, "operator"),
    signedIn(viewerKey, "viewer"),
  ]);
}, 240_000);

afterEach((ctx) => {
  if (ctx.task.result?.state === "fail" && troubles.length > 0)
    console.error(`pages: ${troubles.join("; ")}`);
  troubles.length = 0;
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await closeBrowser?.();
  await stack?.close();
}, 60_000);

describe("console, version 3", () => {
  it("adds an account with a password instead of a token, and keeps the password out of the page", async () => {
    const password = `pw-${crypto.randomUUID()}`;
    const a = await simAccount({ password });
    await admin.goto(`${stack.base}/#/`);
    await admin.click('button:has-text("Add account")');
    await admin.fill("#new-login", a.login);
    await admin.fill("#new-server", a.server);
    await admin.fill("#new-label", "Added with a password");
    await admin.fill("#new-secret", password);
    await confirm(admin, "new funded account");
    // The console opens the new account, read through the session the system logged in with.
    await admin.waitForSelector('#access[data-credentials-status="ok"]', WAIT);
    expect(await admin.textContent('[data-testid="credentials"]')).toContain("investor");
    const id = Number(await admin.getAttribute("section[data-account-id]", "data-account-id"));
    const made = await stack.admin<{
      credentials: { status: string; kind: string; last_login_at: string | null };
      session_id: string;
    }>("GET", `/v1/accounts/${id}`);
    expect(made.credentials).toMatchObject({ status: "ok", kind: "investor" });
    expect(made.credentials.last_login_at).not.toBeNull();
    expect(made.session_id).toBe(`${a.session.slice(0, 4)}...`);
    const seen = await pageText(admin);
    expect(seen.html).not.toContain(password);
    expect(seen.values).not.toContain(password);

    // A refused password: the broker's answer is shown, the account is not added.
    const b = await simAccount({ password: "right" });
    await admin.goto(`${stack.base}/#/`);
    await admin.click('button:has-text("Add account")');
    await admin.fill("#new-login", b.login);
    await admin.fill("#new-server", b.server);
    await admin.fill("#new-secret", "wrong");
    await confirm(admin, "a typo");
    await admin.waitForSelector('dialog[open] [role="alert"]:has-text("rejected")', WAIT);
    expect(await admin.inputValue("#new-secret")).toBe("");
    const listed = await stack.admin<{ items: unknown[] }>(
      "GET",
      `/v1/accounts?q=${encodeURIComponent(b.login)}`,
    );
    expect(listed.items).toHaveLength(0);
    await admin.click('dialog[open] button:has-text("Cancel")');
  });

  it("lets an admin set, replace and remove credentials, never echoing the password", async () => {
    const a = await account();
    await admin.goto(`${stack.base}/#/account/${a.id}`);
    await admin.waitForSelector('#access[data-credentials-status="none"]', WAIT);
    const password = `master-${crypto.randomUUID()}`;
    await admin.click('#access button:has-text("Set credentials")');
    expect(await admin.getAttribute("dialog[open] #secret", "type")).toBe("password");
    await admin.fill("dialog[open] #secret", password);
    await admin.selectOption("dialog[open] #kind", "master");
    await confirm(admin, "trader sent the master password for enforcement");
    await admin.waitForSelector('#access[data-credentials-status="ok"]', WAIT);
    expect(await admin.textContent('[data-testid="credentials"]')).toContain("master");
    const seen = await pageText(admin);
    expect(seen.html).not.toContain(password);
    expect(seen.values).not.toContain(password);

    await admin.click('#access button:has-text("Remove credentials")');
    await confirm(admin, "trader asked us to forget it");
    await admin.waitForSelector('#access[data-credentials-status="none"]', WAIT);
    const audit = await stack.admin<{ items: Array<{ action: string; reason: string | null }> }>(
      "GET",
      `/v1/audit?account_id=${a.id}`,
    );
    expect(audit.items.find((e) => e.action === "account.credentials_removed")?.reason).toBe(
      "trader asked us to forget it",
    );
    expect(JSON.stringify(audit)).not.toContain(password);
  });

  it("shows a session problem with its start, and an operator's pasted token clears it after the check", async () => {
    // The token has expired and cannot be renewed: the account's problem.
    const a = await account({}, { expired: true, connect_by_token: false });
    await poll(a.id);
    const broken = await stack.admin<{ problem: string | null; problem_since: string | null }>(
      "GET",
      `/v1/accounts/${a.id}`,
    );
    expect(broken.problem).not.toBeNull();
    expect(broken.problem_since).not.toBeNull();
    await operator.goto(`${stack.base}/#/account/${a.id}`);
    await operator.waitForSelector(`[data-testid="access-problem"] .badge.problem`, WAIT);
    const shown = await operator.textContent('[data-testid="access-problem"]');
    expect(shown).toContain(broken.problem!);
    expect(shown).toContain("since");
    // An operator: no credentials buttons, but the token can be pasted.
    expect(await operator.locator('#access button:has-text("credentials")').count()).toBe(0);

    // A token MTAPI does not know: the check's refusal is shown, nothing changes.
    await operator.click('#access button:has-text("Paste session token")');
    await operator.fill("dialog[open] #secret", "not-a-real-token");
    await confirm(operator, "token from the trader");
    await operator.waitForSelector('dialog[open] [role="alert"]:has-text("CheckConnect")', WAIT);
    expect(await operator.textContent('dialog[open] [role="alert"]')).toContain(
      "The token was not taken",
    );
    expect(await operator.inputValue("dialog[open] #secret")).toBe("");
    // The same account under a new session (same login and server): taken, the problem clears.
    const fresh = `nt${seq}-${crypto.randomUUID()}`;
    await stack.control("POST", "/accounts", {
      session_id: fresh,
      login: a.login,
      server: a.server,
      balance: 100_000,
      equity: 100_000,
      walk: false,
    });
    await operator.fill("dialog[open] #secret", fresh);
    await confirm(operator, "token from the trader, second try");
    await operator.waitForSelector(
      '#access [role="status"]:has-text("session token replaced")',
      WAIT,
    );
    await operator.waitForSelector(`#access dd.mono:has-text("${fresh.slice(0, 4)}...")`, WAIT);
    await operator.waitForSelector('[data-testid="access-problem"]:has-text("none")', WAIT);
    expect((await pageText(operator)).html).not.toContain(fresh);
  });

  it("lists open and closed trades with the violations each caused, and filters the feed by severity", async () => {
    const a = await account({
      trade_rules: { stop_loss_required: { grace_s: 60 }, min_hold_s: { seconds: 60 } },
    });
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);
    const order = (ticket: number, openMs: number, extra: Record<string, unknown> = {}) => ({
      ticket,
      symbol: "EURUSD",
      orderType: "Buy",
      lots: 1,
      openPrice: 1.08,
      openTime: iso(openMs),
      stopLoss: 0,
      takeProfit: 0,
      profit: 0,
      swap: 0,
      commission: 0,
      ...extra,
    });
    await stack.control("PUT", `/orders/${a.session}`, {
      opened: [order(501, now - 10 * 60_000)],
      history: [
        {
          ...order(401, now - 30 * 60_000, { stopLoss: 1.07 }),
          closeTime: iso(now - 30 * 60_000 + 20_000),
          closePrice: 1.081,
          profit: 10,
        },
      ],
    });
    await poll(a.id);
    const v = await stack.admin<{
      items: Array<{ id: number; rule: string; severity: string; ticket: number }>;
    }>("GET", `/v1/violations?account_id=${a.id}`);
    const byTicket = new Map(v.items.map((x) => [x.ticket, x]));
    expect(byTicket.get(501)).toMatchObject({ rule: "stop_loss_required", severity: "soft" });
    expect(byTicket.get(401)).toMatchObject({ rule: "min_hold_s", severity: "soft" });

    await viewer.goto(`${stack.base}/#/account/${a.id}`);
    const open = await viewer.waitForSelector('#trades tr[data-ticket="501"]', WAIT);
    expect(await open.getAttribute("data-trade-state")).toBe("open");
    await viewer.waitForSelector(
      `#trades tr[data-ticket="501"] [data-trade-violations="${byTicket.get(501)!.id}"]:has-text("stop_loss_required · soft")`,
      WAIT,
    );
    expect(await viewer.locator('#trades tr[data-ticket="401"]').count()).toBe(0);
    await viewer.click('#trades [role="tab"]:has-text("closed")');
    await viewer.waitForSelector(
      '#trades tr[data-ticket="401"]:has-text("min_hold_s · soft")',
      WAIT,
    );
    expect(await viewer.locator('#trades tr[data-ticket="501"]').count()).toBe(0);

    // The violations feed: severity and ticket on each row; the severity filter asks the server.
    const hard = await account();
    await stack.control("PATCH", `/accounts/${hard.session}`, { equity: 89_000 });
    await poll(hard.id);
    await viewer.goto(`${stack.base}/#/violations`);
    const softRow = `tr[data-violation-id="${byTicket.get(401)!.id}"]`;
    await viewer.waitForSelector(`${softRow} [data-severity="soft"]`, WAIT);
    expect(await viewer.textContent(`${softRow} [data-ticket]`)).toBe("401");
    await viewer.waitForSelector(
      `tr:has(a[href="#/account/${hard.id}"]) [data-severity="hard"]`,
      WAIT,
    );
    await viewer.selectOption('select[aria-label="Severity"]', "hard");
    await viewer.waitForFunction((sel) => document.querySelector(sel) === null, softRow, WAIT);
    // The feed reloads from the server (its rows go while it loads): wait for the hard ones.
    await viewer.waitForSelector('tr[data-violation-id] [data-severity="hard"]', WAIT);
    const severities = await viewer.$$eval("tr[data-violation-id] [data-severity]", (els) =>
      els.map((e) => e.getAttribute("data-severity")),
    );
    expect(severities.length).toBeGreaterThan(0);
    expect(new Set(severities)).toEqual(new Set(["hard"]));
  });

  it("shows an account's enforcement action step by step, after an admin turns it on", async () => {
    const a = await account({ consequences: { max_loss: "close_all_and_lock" } });
    await stack.control("PUT", `/orders/${a.session}`, {
      opened: [
        {
          ticket: 7001,
          symbol: "EURUSD",
          orderType: "Buy",
          lots: 1,
          openPrice: 1.1,
          profit: -6_000,
        },
        {
          ticket: 7002,
          symbol: "EURUSD",
          orderType: "BuyLimit",
          lots: 1,
          openPrice: 1.05,
          profit: 0,
        },
      ],
    });
    // A viewer sees the setting, not a control.
    await viewer.goto(`${stack.base}/#/account/${a.id}`);
    await viewer.waitForSelector('[data-testid="enforcement-setting"]:has-text("off")', WAIT);
    expect(await viewer.locator('select[aria-label="Account enforcement"]').count()).toBe(0);

    await admin.goto(`${stack.base}/#/account/${a.id}`);
    await admin.waitForSelector('select[aria-label="Account enforcement"]', WAIT);
    await admin.selectOption('select[aria-label="Account enforcement"]', "on");
    await confirm(admin, "desk policy: close on max loss");
    await admin.waitForSelector('[data-testid="enforcement-setting"] .badge:has-text("on")', WAIT);
    await admin.waitForSelector(
      '[data-testid="enforcement-deployment"]:has-text("ceiling on")',
      WAIT,
    );

    await stack.control("PATCH", `/accounts/${a.session}`, { equity: 89_000 });
    await poll(a.id);
    const row = await admin.waitForSelector('#enforcement tr[data-action-state="done"]', WAIT);
    const text = await row.textContent();
    expect(text).toContain("close_all");
    expect(text).toContain("max_loss");
    await admin.waitForSelector('#enforcement tr[data-step-ticket="7001"]:has-text("close")', WAIT);
    await admin.waitForSelector(
      '#enforcement tr[data-step-ticket="7002"]:has-text("cancel")',
      WAIT,
    );
    expect(await admin.textContent('#enforcement tr[data-step-ticket="7001"]')).toContain("done");
    await admin.waitForSelector('[data-testid="lock"]:has-text("locked (max_loss)")', WAIT);
  });

  it("lets only an admin halt and resume enforcement, with a reason, and shows the state to all", async () => {
    await viewer.goto(`${stack.base}/#/settings`);
    await viewer.waitForSelector('#enforcement-state[data-halted="false"]', WAIT);
    expect(await viewer.textContent('[data-testid="enforcement-ceiling"]')).toBe("on");
    expect(await viewer.locator("#halt-switch").count()).toBe(0);

    await admin.goto(`${stack.base}/#/settings`);
    await admin.click("#halt-switch");
    await admin.waitForSelector('dialog[open]:has-text("Halt enforcement?")', WAIT);
    // Cancelling changes nothing.
    await admin.click('dialog[open] button:has-text("Cancel")');
    expect((await stack.admin<{ halted: boolean }>("GET", "/v1/enforcement")).halted).toBe(false);
    await admin.click("#halt-switch");
    await confirm(admin, "broker incident, stop closing");
    await admin.waitForSelector('#enforcement-state[data-halted="true"]', WAIT);
    expect(await admin.textContent('[data-testid="enforcement-effective"]')).toBe("dry_run");
    expect(await stack.admin("GET", "/v1/enforcement")).toMatchObject({
      halted: true,
      effective: "dry_run",
      reason: "broker incident, stop closing",
    });
    await viewer.waitForSelector('#enforcement-state[data-halted="true"]', WAIT);

    await admin.click('#halt-switch:has-text("Resume")');
    await confirm(admin, "incident over");
    await admin.waitForSelector('#enforcement-state[data-halted="false"]', WAIT);
    expect((await stack.admin<{ halted: boolean }>("GET", "/v1/enforcement")).halted).toBe(false);
  });

  it("offers an operator and a viewer nothing their role may not do", async () => {
    await operator.goto(`${stack.base}/#/`);
    await operator.waitForSelector("h1#atrisk-title", WAIT);
    expect(await operator.locator('button:has-text("Add account")').count()).toBe(0);
    await operator.goto(`${stack.base}/#/settings`);
    await operator.waitForSelector("#enforcement-state[data-halted]", WAIT);
    expect(await operator.locator("#halt-switch").count()).toBe(0);
    const a = await account();
    await viewer.goto(`${stack.base}/#/account/${a.id}`);
    await viewer.waitForSelector("#access", WAIT);
    expect(await viewer.locator("#access button").count()).toBe(0);
  });
});
