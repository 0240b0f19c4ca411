import { describe, expect, it } from "vitest";
import { lookupHash, lookupHashes, needsRehash } from "../../../src/secrets/lookup.ts";
import { loadSealKeys, seal } from "../../../src/secrets/seal.ts";
import { openSession, sessionMaskOf, storedSession } from "../../../src/secrets/session.ts";

const KEY_A = "a1".repeat(32);
const KEY_B = "b2".repeat(32);

describe("lookup hashes", () => {
  it("are the same for the same value under the same key, and name the key", async () => {
    const keys = await loadSealKeys({ SECRETS_KEY: KEY_A });
    const h = await lookupHash(keys, "token-1");
    expect(h).toBe(await lookupHash(keys, "token-1"));
    expect(h).not.toBe(await lookupHash(keys, "token-2"));
    expect(h!.split(".")[0]).toBe((await seal(keys, "x")).split(".")[1]);
    expect(h).not.toContain("token-1");
  });

  it("differ per key, and a rotation hashes under both keys, the current one first", async () => {
    const a = await loadSealKeys({ SECRETS_KEY: KEY_A });
    const b = await loadSealKeys({ SECRETS_KEY: KEY_B });
    const rotated = await loadSealKeys({ SECRETS_KEY: KEY_B, SECRETS_KEY_PREVIOUS: KEY_A });
    const underA = await lookupHash(a, "t");
    const underB = await lookupHash(b, "t");
    expect(underA).not.toBe(underB);
    expect(await lookupHashes(rotated, "t")).toEqual([underB, underA]);
    expect(needsRehash(rotated, underA)).toBe(true);
    expect(needsRehash(rotated, underB)).toBe(false);
    expect(needsRehash(rotated, null)).toBe(true);
  });

  it("are not made without SECRETS_KEY", async () => {
    const none = await loadSealKeys({});
    expect(await lookupHash(none, "t")).toBeNull();
    expect(await lookupHashes(null, "t")).toEqual([]);
  });
});

describe("stored session tokens", () => {
  it("are sealed with their hash and mask, and open back", async () => {
    const keys = await loadSealKeys({ SECRETS_KEY: KEY_A });
    const s = await storedSession(keys, "abcdef-123456");
    expect(s.sessionId).toMatch(/^v1\./);
    expect(s.sessionHash).toBe(await lookupHash(keys, "abcdef-123456"));
    expect(s.sessionMask).toBe("abcd...");
    expect(await openSession(keys, s.sessionId)).toBe("abcdef-123456");
    // Another isolate (no cache): opened with the key.
    const other = await seal(keys, "zyxw-987654");
    expect(await openSession(keys, other)).toBe("zyxw-987654");
  });

  it("stay in clear without SECRETS_KEY, and a clear legacy value opens as it is", async () => {
    const s = await storedSession(null, "abcdef-123456");
    expect(s).toEqual({ sessionId: "abcdef-123456", sessionHash: null, sessionMask: "abcd..." });
    expect(await openSession(null, "abcdef-123456")).toBe("abcdef-123456");
    expect(sessionMaskOf({ sessionId: "abcdef-123456", sessionMask: null })).toBe("abcd...");
  });

  it("refuse to open under a key that did not seal them, naming no secret", async () => {
    const sealed = await seal(await loadSealKeys({ SECRETS_KEY: KEY_B }), "secret-token-9");
    const err = await openSession(await loadSealKeys({ SECRETS_KEY: KEY_A }), sealed).catch(
      (e: unknown) => e,
    );
    expect(String(err)).not.toContain("secret-token-9");
    expect(String(err)).toMatch(/SECRETS_KEY/);
  });
});
