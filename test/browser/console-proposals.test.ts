/**
 * Proposed adjustments in the console, in a real browser (docs/console.md, "Account"; docs/trades.md,
 * "Balance operations"): balance operations read from the simulator's order history are listed
 * with kind, amount, broker time, ticket and state; an operator confirms one (an adjustment
 * appears), sees an out-of-bounds one refused (422) and one decided meanwhile refused (409) in
 * the dialog, and dismisses one; a viewer sees them with no way to decide. Headless Chromium
 * against the whole system (Postgres, simulator, wrangler dev).
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startConsoleStack, type ConsoleStack } from "./stack.ts";

let stack: ConsoleStack;
let browser: Browser;
let closeBrowser: () => Promise<void>;
const contexts: BrowserContext[] = [];
let operator: Page;
let viewer: Page;

const WAIT = { timeout: 20_000 };
const troubles: string[] = [];

interface Proposal {
  id: number;
  ticket: number;
  state: string;
  amount: number;
  order_type: string;
  decided_by: string | null;
  adjustment_id: number | null;
}

/** A signed-in page of its own browser context (cookie jar). */
async function signedIn(role: "viewer" | "operator"): Promise<Page> {
  const { key } = await stack.admin<{ key: string }>("POST", "/v1/keys", {
    name: `proposals-${role}`,
    role,
    reason: "browser test",
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on("pageerror", (e) => troubles.push(`${role}: page error ${String(e)}`));
  page.on("response", (r) => {
    if (r.status() === 401 || r.status() >= 500)
      troubles.push(`${role}: ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  await page.goto(`${stack.base}/`);
  await page.fill("#key", key);
  await page.click("button[type=submit]");
  await page.waitForSelector("h1#atrisk-title", WAIT);
  return page;
}

/** Broker time as the simulator's history gives it (no zone; the stack's servers are UTC). */
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);

function balanceOp(ticket: number, atMs: number, amount: number, orderType = "Balance") {
  return {
    ticket,
    symbol: "",
    orderType,
    lots: 0,
    openTime: iso(atMs),
    closeTime: iso(atMs),
    profit: amount,
  };
}

/** An account whose order history holds `ops(createdMs)`, polled once so they are offered. */
async function accountWithHistory(
  ops: (createdMs: number) => ReturnType<typeof balanceOp>[],
): Promise<number> {
  const n = Date.now() % 1_000_000;
  const a = { login: String(7_000_000 + n), server: "Sim-Proposals", session: crypto.randomUUID() };
  await stack.control("POST", "/accounts", {
    session_id: a.session,
    login: a.login,
    server: a.server,
    balance: 100_000,
    equity: 100_000,
    walk: false,
  });
  const made = await stack.admin<{ id: number; created_at: string }>("POST", "/v1/accounts", {
    login: a.login,
    server: a.server,
    session_id: a.session,
    label: `Proposals ${n}`,
    rules: {
      preset: "ftmo-2step",
      initial_balance: 100_000,
      trade_rules: { max_open_positions: { limit: 50 } },
    },
  });
  await stack.control("PUT", `/orders/${a.session}`, {
    opened: [],
    history: ops(Date.parse(made.created_at)),
  });
  await stack.admin("POST", "/v1/poll", { account_ids: [made.id] });
  return made.id;
}

const proposals = async (id: number) =>
  (await stack.admin<{ items: Proposal[] }>("GET", `/v1/accounts/${id}/adjustments/proposed`))
    .items;

const row = (ticket: number) => `#proposals tr[data-ticket="${ticket}"]`;

/** Opens the decision dialog of a ticket's row and fills the reason. */
async function openDecision(page: Page, ticket: number, decision: "Confirm" | "Dismiss") {
  await page.click(`${row(ticket)} button:has-text("${decision}")`);
  await page.waitForSelector("dialog[open]", WAIT);
}

async function submit(page: Page, reason: string): Promise<void> {
  await page.fill("dialog[open] textarea#reason", reason);
  await page.click("dialog[open] button[type=submit]");
}

beforeAll(async () => {
  stack = await startConsoleStack();
  ({ browser, close: closeBrowser } = await launchBrowser());
  operator = await signedIn("operator");
  viewer = await signedIn("viewer");
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

describe("console, proposed adjustments", () => {
  it("lets an operator confirm and dismiss balance operations, showing refusals in the dialog; a viewer only sees them", async () => {
    const id = await accountWithHistory((created) => [
      balanceOp(901, created + 1_000, 5_000),
      balanceOp(902, created + 2_000, -2_000),
      balanceOp(903, created + 3_000, 500, "Credit"),
      balanceOp(904, created + 4_000, -900_000_000), // beyond any balance: 422
    ]);
    const offered = new Map((await proposals(id)).map((p) => [p.ticket, p]));
    expect([...offered.keys()].sort()).toEqual([901, 902, 903, 904]);

    // Listed with kind, amount, ticket and state, and nothing applied.
    await operator.goto(`${stack.base}/#/account/${id}`);
    await operator.waitForSelector(`${row(901)}[data-state="proposed"]`, WAIT);
    expect(await operator.textContent(row(901))).toMatch(/deposit.*5,000\.00.*proposed/);
    expect(await operator.textContent(row(902))).toMatch(/withdrawal.*-2,000\.00/);
    expect(await operator.textContent(row(903))).toContain("credit");
    await operator.waitForSelector("#adjustments table", WAIT);
    expect(await operator.$$("#adjustments tr[data-adjustment]")).toHaveLength(0);

    // Confirmed: an adjustment of the amount appears, the row says confirmed.
    await openDecision(operator, 901, "Confirm");
    expect(await operator.textContent("dialog[open] .hint")).toContain("ticket 901");
    await submit(operator, "bank transfer seen");
    await operator.waitForSelector(`${row(901)}[data-state="confirmed"]`, WAIT);
    const adjustment = await operator.waitForSelector("#adjustments tr[data-adjustment]", WAIT);
    expect(await adjustment.textContent()).toContain("5,000.00");
    expect(await operator.$(`${row(901)} button`)).toBeNull();
    const confirmed = (await proposals(id)).find((p) => p.ticket === 901)!;
    expect(confirmed.adjustment_id).toBe(Number(await adjustment.getAttribute("data-adjustment")));

    // Out of the bounded-adjustment limits: the 422 is shown in the dialog, nothing recorded.
    await openDecision(operator, 904, "Confirm");
    await submit(operator, "looks wrong");
    const refused = await operator.waitForSelector('dialog[open] [role="alert"]', WAIT);
    expect(await refused.textContent()).toMatch(/^Not confirmed \(422\): .+/);
    await operator.click('dialog[open] button:has-text("Cancel")');
    expect((await proposals(id)).find((p) => p.ticket === 904)!.state).toBe("proposed");

    // Decided elsewhere while the dialog was open: the 409 is shown, the row catches up.
    const credit = offered.get(903)!;
    await openDecision(operator, 903, "Confirm");
    await stack.admin("POST", `/v1/accounts/${id}/adjustments/proposed/${credit.id}/dismiss`, {
      reason: "dismissed by someone else",
    });
    await submit(operator, "credit is real money");
    const conflict = await operator.waitForSelector('dialog[open] [role="alert"]', WAIT);
    expect(await conflict.textContent()).toMatch(/^Not confirmed \(409\): .*already dismissed/);
    await operator.click('dialog[open] button:has-text("Cancel")');
    await operator.waitForSelector(`${row(903)}[data-state="dismissed"]`, WAIT);

    // Dismissed: kept, audited with the reason, never applied.
    await openDecision(operator, 902, "Dismiss");
    await submit(operator, "internal transfer, not trader money");
    await operator.waitForSelector(`${row(902)}[data-state="dismissed"]`, WAIT);
    const audit = await stack.admin<{ items: Array<{ action: string; reason: string | null }> }>(
      "GET",
      `/v1/audit?account_id=${id}&action=account.adjustment_dismissed`,
    );
    expect(audit.items.map((e) => e.reason)).toContain(
      `proposal ${offered.get(902)!.id} dismissed: internal transfer, not trader money`,
    );
    expect(await operator.$$("#adjustments tr[data-adjustment]")).toHaveLength(1);
    const decided = new Map((await proposals(id)).map((p) => [p.ticket, p.state]));
    expect(Object.fromEntries(decided)).toEqual({
      901: "confirmed",
      902: "dismissed",
      903: "dismissed",
      904: "proposed",
    });

    // A viewer sees the same list, and no way to decide (904 is still proposed).
    await viewer.goto(`${stack.base}/#/account/${id}`);
    await viewer.waitForSelector(`${row(904)}[data-state="proposed"]`, WAIT);
    await viewer.waitForSelector(`${row(901)}[data-state="confirmed"]`, WAIT);
    expect(await viewer.$$("#proposals button")).toHaveLength(0);
  });
});
