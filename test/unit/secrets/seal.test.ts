import { describe, expect, it } from "vitest";
import {
  isSealed,
  loadSealKeys,
  needsReseal,
  newSealKey,
  seal,
  SealError,
  unseal,
} from "../../../src/secrets/seal.ts";

const KEY_A = "a1".repeat(32);
const KEY_B = "b2".repeat(32);

describe("sealing secrets at rest", () => {
  it("opens what it sealed, and the sealed text holds nothing of the plaintext", async () => {
    const keys = await loadSealKeys({ SECRETS_KEY: KEY_A });
    const token = "3b1f0c2e-session-token-value-9a7d";
    const sealed = await seal(keys, token);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain(token);
    expect(sealed).not.toContain("session");
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await unseal(keys, sealed)).toBe(token);
  });

  it("seals the same value differently each time (a fresh IV)", async () => {
    const keys = await loadSealKeys({ SECRETS_KEY: KEY_A });
    const [a, b] = [await seal(keys, "whsec_same"), await seal(keys, "whsec_same")];
    expect(a).not.toBe(b);
    expect(await unseal(keys, a)).toBe("whsec_same");
    expect(await unseal(keys, b)).toBe("whsec_same");
  });

  it("round-trips empty and non-ASCII text", async () => {
    const keys = await loadSealKeys({ SECRETS_KEY: KEY_A });
    for (const text of ["", "пароль ✓ 密码", "x".repeat(10_000)]) {
      expect(await unseal(keys, await seal(keys, text))).toBe(text);
    }
  });

  it("names the key that sealed a value by the first 8 hex digits of its SHA-256", async () => {
    const keys = await loadSealKeys({ SECRETS_KEY: KEY_A });
    const raw = new Uint8Array(KEY_A.match(/../g)!.map((h) => parseInt(h, 16)));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
    const id = [...digest.slice(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect((await seal(keys, "t")).split(".")[1]).toBe(id);
  });

  it("still opens values sealed under SECRETS_KEY_PREVIOUS after a rotation", async () => {
    const old = await loadSealKeys({ SECRETS_KEY: KEY_A });
    const sealedOld = await seal(old, "token-under-a");
    const rotated = await loadSealKeys({ SECRETS_KEY: KEY_B, SECRETS_KEY_PREVIOUS: KEY_A });
    expect(await unseal(rotated, sealedOld)).toBe("token-under-a");
    expect(needsReseal(rotated, sealedOld)).toBe(true);
    const resealed = await seal(rotated, await unseal(rotated, sealedOld));
    expect(needsReseal(rotated, resealed)).toBe(false);
    expect(resealed.split(".")[1]).not.toBe(sealedOld.split(".")[1]);
  });

  it("refuses a value sealed under a key it no longer has", async () => {
    const sealedOld = await seal(await loadSealKeys({ SECRETS_KEY: KEY_A }), "t");
    const onlyB = await loadSealKeys({ SECRETS_KEY: KEY_B });
    await expect(unseal(onlyB, sealedOld)).rejects.toThrow(SealError);
  });

  it("refuses an altered value (GCM authentication)", async () => {
    const keys = await loadSealKeys({ SECRETS_KEY: KEY_A });
    const sealed = await seal(keys, "secret-value");
    const parts = sealed.split(".");
    const ct = parts[3]!;
    const flipped = (ct[0] === "A" ? "B" : "A") + ct.slice(1);
    await expect(unseal(keys, [...parts.slice(0, 3), flipped].join("."))).rejects.toThrow(
      /does not open/,
    );
  });

  it("refuses text that is not a sealed value, and does not take plaintext for one", async () => {
    const keys = await loadSealKeys({ SECRETS_KEY: KEY_A });
    for (const text of ["plain-token", "v1.zzzz.a.b", "v2.0123abcd.aa.bb", "whsec_abc"]) {
      expect(isSealed(text)).toBe(false);
      await expect(unseal(keys, text)).rejects.toThrow(SealError);
    }
  });

  it("refuses to seal without SECRETS_KEY", async () => {
    const keys = await loadSealKeys({});
    await expect(seal(keys, "t")).rejects.toThrow(/SECRETS_KEY is not set/);
  });

  it("refuses a malformed key without echoing it", async () => {
    const bad = "not-a-key-but-a-secret-value";
    const err = await loadSealKeys({ SECRETS_KEY: bad }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SealError);
    expect((err as Error).message).not.toContain(bad);
    await expect(loadSealKeys({ SECRETS_KEY: "ab".repeat(16) })).rejects.toThrow(SealError);
  });

  it("takes a key as base64 as well as hex", async () => {
    const b64 = Buffer.from(KEY_A, "hex").toString("base64");
    const fromB64 = await loadSealKeys({ SECRETS_KEY: b64 });
    const fromHex = await loadSealKeys({ SECRETS_KEY: KEY_A });
    expect(await unseal(fromHex, await seal(fromB64, "t"))).toBe("t");
  });

  it("makes new keys that load", async () => {
    const key = newSealKey();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    const keys = await loadSealKeys({ SECRETS_KEY: key });
    expect(await unseal(keys, await seal(keys, "t"))).toBe("t");
  });
});
