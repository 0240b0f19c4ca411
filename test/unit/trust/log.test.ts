/** "Trust" finding 3, pure: what a log line keeps of an error (docs/security.md). */
import { afterEach, describe, expect, it, vi } from "vitest";
import { redactDbMessage } from "../../../src/domain/redact.ts";
import { describeError, log } from "../../../src/util/log.ts";

const SECRET = "sess-4f1c9e07b2aa";

function drizzleError(): Error {
  const cause = Object.assign(new Error('duplicate key value violates unique constraint "k"'), {
    code: "23505",
    constraint: "accounts_session_id_key",
    detail: `Key (session_id)=(${SECRET}) already exists.`,
  });
  return new Error(
    `Failed query: insert into "accounts" ("login","session_id") values ($1, $2)\nparams: 5550001,${SECRET}`,
    { cause },
  );
}

afterEach(() => vi.restoreAllMocks());

describe("logged errors", () => {
  it("keep the SQL and the cause's SQLSTATE and message, never the parameters or detail", () => {
    const d = describeError(drizzleError());
    expect(JSON.stringify(d)).not.toContain(SECRET);
    expect(d.message).toBe(
      'Failed query: insert into "accounts" ("login","session_id") values ($1, $2)',
    );
    expect(d.cause).toMatchObject({
      code: "23505",
      constraint: "accounts_session_id_key",
      message: 'duplicate key value violates unique constraint "k"',
    });
  });

  it("mask values Postgres quotes in its messages", () => {
    expect(redactDbMessage(`invalid input syntax for type integer: "${SECRET}"`)).toBe(
      'invalid input syntax for type integer: "***"',
    );
    expect(redactDbMessage(`Key (session_id)=(${SECRET}) already exists.`)).toBe(
      "Key (session_id)=(***) already exists.",
    );
  });

  it("run every line through the redactor", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(l));
    log("http:error", {
      url: `https://u:${SECRET}@x.example/h?token=${SECRET}`,
      note: `Bearer ${SECRET}`,
      session_id: SECRET,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
  });
});
