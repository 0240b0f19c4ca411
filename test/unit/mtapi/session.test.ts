/** MTAPI session calls and the renewal order (docs/mtapi-bridge.md, "Sessions"). */
import { describe, expect, it } from "vitest";
import { classifyCheckAnswer, classifyTokenAnswer, connectEx } from "../../../src/mtapi/session.ts";
import { renewBackoffMs, renewSession } from "../../../src/mtapi/renew.ts";
import { isSealed, loadSealKeys, seal, unseal } from "../../../src/secrets/seal.ts";

/** A fetcher answering by path; records each URL asked for. */
function bridge(answers: Record<string, [number, string]>, seen: string[] = []): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = new URL(String(input));
    seen.push(`${url.pathname}${url.search}`);
    const [status, text] = answers[url.pathname] ?? [404, "no route"];
    return new Response(text, { status });
  }) as typeof fetch;
}

const INVALID_TOKEN = '{"code":"INVALID_TOKEN","message":"Client with id x not found"}';
const INVALID_ACCOUNT = '{"code":"INVALID_ACCOUNT","message":"Invalid account"}';

describe("token answers", () => {
  it("reads a plain-text or JSON-string token; an error body by its code", () => {
    expect(classifyTokenAnswer(200, "abc-123\n")).toEqual({ ok: true, token: "abc-123" });
    expect(classifyTokenAnswer(200, '"abc-123"')).toEqual({ ok: true, token: "abc-123" });
    expect(classifyTokenAnswer(201, INVALID_ACCOUNT)).toMatchObject({
      ok: false,
      problem: "credentials_rejected",
    });
    expect(classifyTokenAnswer(201, INVALID_TOKEN)).toMatchObject({ problem: "token_invalid" });
  });

  it("never takes HTML, an empty body or a JSON object for a token", () => {
    for (const text of ["", "<html>502</html>", '{"token":"x"}', "a b"])
      expect(classifyTokenAnswer(200, text).ok).toBe(false);
  });

  it("CheckConnect is ok only for OK", () => {
    expect(classifyCheckAnswer(200, "OK").ok).toBe(true);
    expect(classifyCheckAnswer(200, "NOPE").ok).toBe(false);
    expect(classifyCheckAnswer(201, INVALID_TOKEN).ok).toBe(false);
  });

  it("URL-encodes a password with & and = and masks it in any detail", async () => {
    const seen: string[] = [];
    const password = "a&b=c d+%";
    const echo = (async (input: RequestInfo | URL) => {
      seen.push(String(input));
      return new Response(`{"code":"CONNECT_ERROR","message":"failed for ${String(input)}"}`, {
        status: 201,
      });
    }) as typeof fetch;
    const r = await connectEx(
      "https://mtapi.test",
      { user: "1", password, server: "S" },
      1_000,
      echo,
    );
    expect(new URL(seen[0]!).searchParams.get("password")).toBe(password);
    expect(r).toMatchObject({ ok: false, problem: "upstream_unavailable" });
    if (!r.ok) {
      expect(r.detail).not.toContain("a&b");
      expect(r.detail).not.toContain(encodeURIComponent(password));
    }
  });

  it("a ConnectEx that hangs past its deadline is mtapi_unreachable", async () => {
    const hang = ((_: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_r, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)),
      )) as typeof fetch;
    const r = await connectEx("https://m", { user: "1", password: "p", server: "S" }, 20, hang);
    expect(r).toMatchObject({ ok: false, problem: "mtapi_unreachable" });
  });
});

describe("renewSession", () => {
  const input = { token: "tok", login: "1", server: "S" };

  it("ConnectByToken first: one call when it works", async () => {
    const seen: string[] = [];
    const r = await renewSession(
      "https://m",
      input,
      1_000,
      bridge({ "/ConnectByToken": [200, "tok"] }, seen),
    );
    expect(r).toEqual({ ok: true, token: "tok", via: "token", calls: 1 });
    expect(seen).toEqual(["/ConnectByToken?id=tok"]);
  });

  it("then ConnectEx with the stored password", async () => {
    const r = await renewSession(
      "https://m",
      { ...input, password: "pw" },
      1_000,
      bridge({ "/ConnectByToken": [201, INVALID_TOKEN], "/ConnectEx": [200, "tok2"] }),
    );
    expect(r).toEqual({ ok: true, token: "tok2", via: "credentials", calls: 2 });
  });

  it("without credentials a refused token is session_expired; INVALID_ACCOUNT is credentials_rejected", async () => {
    expect(
      await renewSession(
        "https://m",
        input,
        1_000,
        bridge({ "/ConnectByToken": [201, INVALID_TOKEN] }),
      ),
    ).toMatchObject({ ok: false, problem: "session_expired", calls: 1 });
    expect(
      await renewSession(
        "https://m",
        { ...input, password: "bad" },
        1_000,
        bridge({ "/ConnectByToken": [201, INVALID_TOKEN], "/ConnectEx": [201, INVALID_ACCOUNT] }),
      ),
    ).toMatchObject({ ok: false, problem: "credentials_rejected", calls: 2 });
  });

  it("backs off per account: 30 s doubling to 30 min", () => {
    expect([0, 1, 2, 3, 7, 20].map(renewBackoffMs)).toEqual([
      0, 30_000, 60_000, 120_000, 1_800_000, 1_800_000,
    ]);
  });
});

describe("seal, as the credentials use it", () => {
  it("round-trips a password with & and =, and opens values sealed under the previous key", async () => {
    const oldKey = "0a".repeat(32);
    const newKey = "0b".repeat(32);
    const old = await loadSealKeys({ SECRETS_KEY: oldKey });
    const sealed = await seal(old, "p&ss=word");
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain("p&ss");
    expect(await unseal(old, sealed)).toBe("p&ss=word");
    const rotated = await loadSealKeys({ SECRETS_KEY: newKey, SECRETS_KEY_PREVIOUS: oldKey });
    expect(await unseal(rotated, sealed)).toBe("p&ss=word");
    const other = await loadSealKeys({ SECRETS_KEY: "0c".repeat(32) });
    await expect(unseal(other, sealed)).rejects.toThrow();
  });
});

describe("no secret in what is logged", () => {
  it("a ConnectEx whose failure message carries the URL keeps neither the password nor its encodings", async () => {
    const password = "Hunt3r&zz=9 %x";
    // The URL, and the password bare and URL-encoded, as a careless upstream might echo them.
    const failing = ((url: RequestInfo | URL) =>
      Promise.reject(
        new TypeError(
          `fetch failed: ${String(url)} (${password}) [${new URLSearchParams({ p: password }).toString().slice(2)}]`,
        ),
      )) as typeof fetch;
    const r = await connectEx("https://m", { user: "7", password, server: "S" }, 1_000, failing);
    expect(r.ok).toBe(false);
    const text = JSON.stringify(r);
    for (const form of [
      password,
      encodeURIComponent(password),
      new URLSearchParams({ p: password }).toString().slice(2),
    ])
      expect(text).not.toContain(form);
  });
});
