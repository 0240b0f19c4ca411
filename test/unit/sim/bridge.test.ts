/** The simulator produces the real bridge's behaviours on command (docs/mtapi-bridge.md). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../../sim/simulator.ts";
import { encodeEvent } from "../../../sim/events.ts";
import { startBridgeDemo } from "../../../sim/bridge-demo.ts";
import { account, control } from "./helpers.ts";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

async function get(path: string) {
  const res = await fetch(`${sim.mtapiUrl}${path}`);
  return { status: res.status, text: await res.text() };
}

describe("simulated bridge", () => {
  it("answers synced: false with zero figures on command, and for N answers after a reconnect", async () => {
    await control(sim, "/accounts", account("s1", { synced: false }));
    expect(JSON.parse((await get("/AccountSummary?id=s1")).text)).toMatchObject({
      balance: 0,
      equity: 0,
      synced: false,
    });
    await control(sim, "/accounts", account("s2", { unsynced_after_connect: 2 }));
    expect(JSON.parse((await get("/AccountSummary?id=s2")).text)).toMatchObject({ synced: true });
    expect((await get("/ConnectByToken?id=s2")).text).toBe("s2");
    for (let i = 0; i < 2; i++)
      expect(JSON.parse((await get("/AccountSummary?id=s2")).text)).toMatchObject({
        synced: false,
        equity: 0,
      });
    expect(JSON.parse((await get("/AccountSummary?id=s2")).text)).toMatchObject({
      synced: true,
      equity: 99_000,
    });
  });

  it.each(["INVALID_TOKEN", "SERVICE_NOT_AVAILABLE", "MARKET_CLOSED", "CONNECT_ERROR", "TIMEOUT"])(
    "answers HTTP 201 {code: %s, message}",
    async (code) => {
      await control(sim, "/accounts", account("s", { error_code: code }));
      const r = await get("/AccountSummary?id=s");
      expect(r.status).toBe(201);
      expect(JSON.parse(r.text)).toEqual({ code, message: expect.any(String) });
    },
  );

  it("expires an idle token with INVALID_TOKEN; ConnectByToken brings it back, CheckConnect tells", async () => {
    await control(sim, "/accounts", account("s", { token_idle_ms: 50 }));
    expect((await get("/CheckConnect?id=s")).text).toBe("OK");
    await new Promise((r) => setTimeout(r, 120));
    const expired = await get("/AccountSummary?id=s");
    expect(expired.status).toBe(201);
    expect(JSON.parse(expired.text)).toMatchObject({ code: "INVALID_TOKEN" });
    expect(JSON.parse((await get("/CheckConnect?id=s")).text)).toMatchObject({
      code: "INVALID_TOKEN",
    });
    expect(await get("/ConnectByToken?id=s")).toEqual({ status: 200, text: "s" });
    expect((await get("/AccountSummary?id=s")).status).toBe(200);
  });

  it("ConnectEx logs in by login, password and server; a wrong password is INVALID_ACCOUNT", async () => {
    const password = "p&ss=wo rd?";
    await control(
      sim,
      "/accounts",
      account("tok-1", { password, expired: true, connect_by_token: false }),
    );
    expect(JSON.parse((await get("/ConnectByToken?id=tok-1")).text)).toMatchObject({
      code: "INVALID_TOKEN",
    });
    const q = (p: string) =>
      new URLSearchParams({ user: "11112222", password: p, server: "Sim-Demo" }).toString();
    const wrong = await get(`/ConnectEx?${q("nope")}`);
    expect(wrong.status).toBe(201);
    expect(JSON.parse(wrong.text)).toMatchObject({ code: "INVALID_ACCOUNT" });
    expect(await get(`/ConnectEx?${q(password)}`)).toEqual({ status: 200, text: "tok-1" });
    expect((await get("/AccountSummary?id=tok-1")).status).toBe(200);
  });

  it("reports isInvestor, and stamps events in server time on command", async () => {
    await control(
      sim,
      "/accounts",
      account("s", { is_investor: true, server_time_offset_min: 120 }),
    );
    expect(JSON.parse((await get("/AccountSummary?id=s")).text)).toMatchObject({
      isInvestor: true,
    });
    const a = sim.book.get("s")!;
    const now = Date.UTC(2026, 11, 6, 12);
    expect(encodeEvent("full", a, now)).toMatchObject({ timestampUTC: now + 120 * 60_000 });
    expect(encodeEvent("pascal_id", a, now)).toMatchObject({ timestampUTC: now + 120 * 60_000 });
  });

  it("the dev demo: a calm account's token expires, another goes unsynced, on a timer", async () => {
    await control(sim, "/accounts", [
      account("calm-a", { drift: 0 }),
      account("calm-b", { drift: 0, login: "2" }),
      account("drifting", { drift: -0.001, login: "3" }),
    ]);
    const lines: string[] = [];
    const stop = await startBridgeDemo(sim.url, {
      expireEveryMs: 20,
      unsyncedEveryMs: 20,
      unsyncedForMs: 10_000,
      log: (l) => lines.push(l),
    });
    try {
      await expect
        .poll(() => sim.book.get("calm-a")?.expired && sim.book.get("calm-b")?.synced === false, {
          timeout: 5_000,
        })
        .toBe(true);
      expect(sim.book.get("drifting")).toMatchObject({ expired: false, synced: true });
      await expect.poll(() => lines.some((l) => l.includes("INVALID_TOKEN"))).toBe(true);
    } finally {
      stop();
    }
  });
});
