import { describe, expect, it } from "vitest";
import { eventually, getAccount, sim } from "../helpers.ts";
import { addToSim, api, createViaApi } from "./helpers.ts";
import { auditOf } from "../fixtures.ts";

/** Long enough for the operator's change to land while the poll's read is held. */
const HELD_MS = 2_000;

/** Starts a poll of one account whose MTAPI answer the simulator holds for HELD_MS. */
async function heldPoll(balance: number, equity: number) {
  const created = await createViaApi();
  await addToSim(created, { balance, equity });
  await sim(`/accounts/${created.sessionId}`, { delay_ms: HELD_MS }, "PATCH");
  const poll = api("POST", "/v1/poll", { json: { account_ids: [created.account.id] } });
  // The poll has read the account (and its state_version) and waits on MTAPI.
  await eventually(
    async () => (await sim<{ rest: { in_flight: number } }>("/state")).rest.in_flight >= 1,
    10_000,
    "the poll's read held by the simulator",
  );
  return { id: created.account.id as number, poll };
}

/** An account's audit trail as [field, from, to, source], oldest first. */
async function trailOf(id: number) {
  return (await auditOf(id)).map((r) => [r.field, r.fromValue, r.toValue, r.source]);
}

describe("ownership guards under a real race", () => {
  it("drops a held poll's write when the operator deletes the account meanwhile", async () => {
    const { id, poll } = await heldPoll(100_000, 99_000);
    expect((await api("DELETE", `/v1/accounts/${id}`)).status).toBe(204);
    const report = await poll;
    expect(report.status).toBe(200);
    expect(report.body.polled).toBe(1);
    const row = await getAccount(id);
    expect(row.status).toBe("deleted");
    // The stale figures did not land.
    expect(row.metrics).toBeNull();
    expect(row.riskState).toBeNull();
  });

  it("drops a held poll's hand-over when the operator forces the account live meanwhile", async () => {
    // 97 % usage: the poll would move the account live itself (and audit it) if it landed.
    const { id, poll } = await heldPoll(100_000, 95_150);
    expect((await api("POST", `/v1/accounts/${id}/live`)).status).toBe(200);
    expect((await poll).status).toBe(200);
    const row = await getAccount(id);
    expect(row.monitoringState).toBe("live");
    expect(row.stateVersion).toBe(1);
    // Only the operator's move is on record (besides the account's creation).
    expect((await trailOf(id)).filter(([field]) => field !== null)).toEqual([
      ["monitoring_state", "polling", "live", "api"],
    ]);
    expect((await api("DELETE", `/v1/accounts/${id}/live`)).status).toBe(200);
  });
});
