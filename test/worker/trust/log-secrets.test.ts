/**
 * Finding 3 of "Trust" (docs/security.md): a database error in an account or webhook change
 * logged the failed query with every parameter (session tokens, `whsec_` secrets, URL
 * passwords). Errors are logged by their cause, and every line goes through the redactor.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { withTestDb } from "../helpers.ts";
import { api, newAccountBody } from "../api/helpers.ts";

/** Every line the Worker logs while `fn` runs. */
async function logsOf(fn: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const keep = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  const spies = [
    vi.spyOn(console, "log").mockImplementation(keep),
    vi.spyOn(console, "error").mockImplementation(keep),
    vi.spyOn(console, "warn").mockImplementation(keep),
  ];
  try {
    await fn();
  } finally {
    for (const s of spies) s.mockRestore();
  }
  return lines.join("\n");
}

/** Makes every insert into `table` fail inside Postgres (P0001), as a real fault would, while `fn` runs. */
async function failingInserts(tables: string[], fn: () => Promise<void>): Promise<void> {
  await withTestDb(async (db) => {
    await db.execute(sql`create or replace function trust_test_refuse() returns trigger
      language plpgsql as $$ begin raise exception 'refused by the test trigger'; end $$`);
    for (const t of tables)
      await db.execute(
        sql.raw(`create trigger trust_test_refuse before insert on ${t}
          for each row execute function trust_test_refuse()`),
      );
  });
  try {
    await fn();
  } finally {
    await withTestDb(async (db) => {
      for (const t of tables) await db.execute(sql.raw(`drop trigger trust_test_refuse on ${t}`));
    });
  }
}

describe("logs of failed database changes", () => {
  it("say why a query failed and hold none of its parameters", async () => {
    const sessionId = `sess-${crypto.randomUUID()}`;
    const password = `pw${crypto.randomUUID().slice(0, 12)}`;
    const hookPath = `T0${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
    const url = `https://ops:${password}@hooks.example.com/services/${hookPath}?api_key=${password}`;
    const logs = await logsOf(async () => {
      await failingInserts(["accounts", "webhook_endpoints"], async () => {
        const created = await api("POST", "/v1/accounts", {
          json: newAccountBody({ session_id: sessionId }),
        });
        expect(created.status).toBeGreaterThanOrEqual(500);
        const hook = await api("POST", "/v1/webhooks", { json: { url, events: ["*"] } });
        expect(hook.status).toBeGreaterThanOrEqual(500);
      });
    });
    expect(logs).toContain("http:error");
    expect(logs).not.toContain(sessionId);
    expect(logs).not.toContain(password);
    expect(logs).not.toContain(hookPath);
    expect(logs).not.toMatch(/whsec_[A-Za-z0-9+/]{8}/);
    expect(logs).not.toMatch(/params:/);
    // The cause is there: more than drizzle's "Failed query".
    const errors = logs
      .split("\n")
      .filter((l) => l.includes("http:error"))
      .map((l) => JSON.parse(l) as { error: { message: string; cause?: unknown } });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBe(2);
    for (const e of errors) {
      expect(e.error.cause).toMatchObject({
        code: "P0001",
        message: "refused by the test trigger",
      });
    }
  });
});
