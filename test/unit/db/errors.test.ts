/**
 * The one reader of Postgres errors (src/db/errors.ts) and the query modules' names for the
 * unique keys it reports (src/accounts/queries.ts, src/http/key-store.ts).
 */
import { describe, expect, it } from "vitest";
import { accountConflict } from "../../../src/accounts/queries.ts";
import { sqlState, uniqueViolation, writeFailure } from "../../../src/db/errors.ts";
import { isKeyNameTaken } from "../../../src/http/key-store.ts";

/** A driver error as Neon's driver raises it, wrapped by drizzle as a query failure. */
function wrapped(code: string, constraint?: string): Error {
  const driver = Object.assign(new Error("driver"), { code, constraint });
  return new Error("Failed query", { cause: driver });
}

describe("reading Postgres errors", () => {
  it("reads the SQLSTATE on the error or on its cause, and nothing from other errors", () => {
    expect(sqlState(wrapped("23505"))).toBe("23505");
    expect(sqlState(Object.assign(new Error("x"), { code: "40001" }))).toBe("40001");
    expect(sqlState(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBeUndefined();
    expect(sqlState("not an error")).toBeUndefined();
  });

  it("names the unique key a write ran into, and only for a unique violation", () => {
    expect(uniqueViolation(wrapped("23505", "accounts_login_server_key"))).toBe(
      "accounts_login_server_key",
    );
    expect(uniqueViolation(wrapped("23503", "readings_account_id_fkey"))).toBeUndefined();
    expect(uniqueViolation(wrapped("23505"))).toBeUndefined();
    expect(uniqueViolation(new Error("timeout"))).toBeUndefined();
  });

  it("tells an outage from a gone account from a bad write", () => {
    expect(writeFailure(new Error("fetch failed"))).toBe("outage");
    expect(writeFailure(wrapped("08006"))).toBe("outage");
    expect(writeFailure(wrapped("23503"))).toBe("account_gone");
    expect(writeFailure(wrapped("23505", "x"))).toBe("bad_write");
  });
});

describe("the unique keys the query modules name", () => {
  it("tells a duplicate login from a session in use, and nothing else", () => {
    expect(accountConflict(wrapped("23505", "accounts_login_server_key"))).toBe("login_server");
    expect(accountConflict(wrapped("23505", "accounts_active_session_key"))).toBe("active_session");
    expect(accountConflict(wrapped("23505", "api_keys_active_name_key"))).toBeNull();
    expect(accountConflict(wrapped("40001"))).toBeNull();
  });

  it("tells a key name in use by a live key", () => {
    expect(isKeyNameTaken(wrapped("23505", "api_keys_active_name_key"))).toBe(true);
    expect(isKeyNameTaken(wrapped("23505", "accounts_login_server_key"))).toBe(false);
  });
});
