import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACCOUNT_DELETED,
  type ActionState,
  answer,
  newAction,
  next,
} from "../../../src/domain/enforcement/action.ts";
import { drive } from "../../../src/domain/enforcement/drive.ts";
import { actionEvidence } from "../../../src/domain/enforcement/evidence.ts";
import {
  Evicted,
  FakeBroker,
  FakeHost,
  type HostOptions,
  type ReadFault,
  type SendFault,
  order,
} from "./fake-broker.ts";

const E18 = () => [order(1001, "Buy", -600), order(1002, "Sell", -450), order(1003, "BuyLimit", 0)];

/** Drives to the end, resuming from the persisted state after every eviction or failed persist. */
async function runToEnd(
  broker: FakeBroker,
  opts: HostOptions = {},
  dryRun = false,
): Promise<{ state: ActionState; host: FakeHost; restarts: number }> {
  const host = new FakeHost(broker, opts);
  let state = newAction("close_all", dryRun, host.now());
  let restarts = 0;
  for (;;) {
    try {
      state = await drive(state, host);
      return { state, host, restarts };
    } catch (err) {
      if (!(err instanceof Evicted) && !(err instanceof Error && /database/.test(err.message)))
        throw err;
      restarts += 1;
      if (restarts > 50) throw new Error("no progress");
      host.clock += 1_000;
      state = host.persisted ?? newAction("close_all", dryRun, host.now());
    }
  }
}

describe("enforcement action", () => {
  it("E18: closes both positions and cancels the pending order, each sent once", async () => {
    const broker = new FakeBroker(E18());
    const { state } = await runToEnd(broker);
    expect(state.phase).toBe("done");
    expect([...broker.sends.entries()].sort()).toEqual([
      [1001, 1],
      [1002, 1],
      [1003, 1],
    ]);
    expect(broker.open.size).toBe(0);
    expect(state.steps.map((s) => [s.ticket, s.action, s.state])).toEqual([
      [1001, "close", "done"],
      [1002, "close", "done"],
      [1003, "cancel", "done"],
    ]);
    const ev = actionEvidence(state, 90_002);
    expect(ev.positions_before.map((o) => o.ticket)).toEqual([1001, 1002, 1003]);
    expect(ev.steps[0]).toMatchObject({ close_price: 1.09, profit: -600, settled_by: "answer" });
    expect(ev.equity_after).toBe(90_003);
    expect(ev.slippage).toBe(0);
    expect(actionEvidence(state, 90_010).slippage).toBe(7);
  });

  it("dry run sends nothing and records the same decisions", async () => {
    const live = await runToEnd(new FakeBroker(E18()));
    const broker = new FakeBroker(E18());
    const dry = await runToEnd(broker, {}, true);
    expect(broker.sendLog).toEqual([]);
    expect(dry.state.phase).toBe("done");
    expect(dry.state.steps.map((s) => [s.ticket, s.action, s.state])).toEqual(
      live.state.steps.map((s) => [s.ticket, s.action, "decided"]),
    );
  });

  it("a timeout whose close happened is settled by OpenedOrders and never sent again", async () => {
    const broker = new FakeBroker(E18());
    broker.sendFaults = ["timeout_done"];
    const { state } = await runToEnd(broker);
    expect(state.phase).toBe("done");
    expect(broker.sends.get(1001)).toBe(1);
    expect(state.steps[0]).toMatchObject({ state: "done", settled_by: "opened_orders", sends: 1 });
    expect(broker.sendsToClosed).toBe(0);
  });

  it("a timeout whose close did not happen is read, then sent once more, and the position closed", async () => {
    const broker = new FakeBroker(E18());
    broker.sendFaults = ["timeout_not_done"];
    const { state } = await runToEnd(broker);
    expect(state.phase).toBe("done");
    expect(broker.sends.get(1001)).toBe(2);
    expect(broker.open.size).toBe(0);
    expect(broker.sendsToClosed).toBe(0);
  });

  it("a close slower than the client's timeout is read again once it cannot be in flight, never sent twice", async () => {
    const broker = new FakeBroker(E18());
    broker.sendFaults = ["slow_fill"];
    const { state, host } = await runToEnd(broker);
    expect(state.phase).toBe("done");
    // The read right after the client gave up still listed 1001 (the close had 12 s to go);
    // the next read, 30 s after the send, found it closed.
    expect(broker.sends.get(1001)).toBe(1);
    expect(state.steps[0]).toMatchObject({ state: "done", settled_by: "opened_orders", sends: 1 });
    expect(broker.open.size).toBe(0);
    expect(broker.sendsToClosed).toBe(0);
    // The other tickets did not wait for it.
    expect(broker.sendLog).toEqual([1001, 1002, 1003]);
    expect(host.clock).toBeGreaterThanOrEqual(1_000_000 + 30_000);
  });

  it("a send without an answer whose ticket is still listed after the window is sent once more", async () => {
    const broker = new FakeBroker(E18());
    broker.sendFaults = ["throw"];
    const { state } = await runToEnd(broker);
    expect(state.phase).toBe("done");
    expect(broker.sends.get(1001)).toBe(2);
    expect(broker.open.size).toBe(0);
    expect(broker.sendsToClosed).toBe(0);
  });

  it("MARKET_CLOSED waits for the market and tries again", async () => {
    const broker = new FakeBroker([order(7)]);
    broker.sendFaults = ["market_closed", "market_closed"];
    const host0 = 1_000_000;
    const { state, host } = await runToEnd(broker);
    expect(state.phase).toBe("done");
    expect(broker.sends.get(7)).toBe(3);
    expect(host.clock - host0).toBeGreaterThanOrEqual(60_000 + 120_000);
  });

  it("INVALID_TOKEN renews the session and goes on", async () => {
    const broker = new FakeBroker(E18());
    broker.sendFaults = ["fill", "invalid_token"];
    const { state } = await runToEnd(broker);
    expect(state.phase).toBe("done");
    expect(broker.renewals).toBe(1);
    expect(broker.open.size).toBe(0);
  });

  it("a session refused for a few seconds (credentials being fixed) is renewed and the action goes on", async () => {
    const broker = new FakeBroker(E18());
    broker.sendFaults = ["invalid_token"];
    const { state } = await runToEnd(broker, { renewRefusedUntil: 1_000_000 + 10_000 });
    expect(state.phase).toBe("done");
    expect(broker.open.size).toBe(0);
    expect(broker.renewals).toBeGreaterThan(3);
  });

  it("a session that stays unrenewable fails with the reason after about half a minute, sending nothing more", async () => {
    const broker = new FakeBroker(E18());
    broker.sendFaults = ["invalid_token"];
    const { state, host } = await runToEnd(broker, { renewRefusedUntil: Infinity });
    expect(state.phase).toBe("failed");
    expect(state.failure).toMatch(/session could not be renewed \(INVALID_TOKEN\)/);
    expect(broker.renewals).toBe(8);
    expect(host.clock - 1_000_000).toBeGreaterThan(20_000);
    expect(broker.sendLog).toHaveLength(1);
  });

  it("an investor session fails at once with a reason and sends nothing", async () => {
    const broker = new FakeBroker(E18());
    broker.isInvestor = true;
    const { state } = await runToEnd(broker);
    expect(state.phase).toBe("failed");
    expect(state.failure).toMatch(/investor session/);
    expect(broker.sendLog).toEqual([]);
  });

  it("a session of unknown kind is not acted on", async () => {
    const broker = new FakeBroker(E18());
    broker.isInvestor = null;
    const { state } = await runToEnd(broker);
    expect(state.phase).toBe("failed");
    expect(broker.sendLog).toEqual([]);
  });

  it("a halt in the middle stops every step not yet sent", async () => {
    const broker = new FakeBroker(E18());
    // halted() is asked before each command: summary, plan, send 1001, then halted.
    const { state } = await runToEnd(broker, { haltFrom: 4 });
    expect(broker.sendLog).toEqual([1001]);
    expect(state.phase).toBe("failed");
    expect(state.failure).toBe("halted by an operator");
    expect(state.steps.map((s) => s.state)).toEqual(["done", "halted", "halted"]);
  });

  it("an account deleted mid-action: steps not sent are halted, a lost answer is never sent again", () => {
    // Resumed from storage after the delete: 1001's answer was lost, 1002 not sent yet.
    const step = (ticket: number, state: "sending" | "planned") => ({
      ticket,
      action: "close" as const,
      symbol: "EURUSD",
      state,
      sends: state === "sending" ? 1 : 0,
      market_closed: 0,
      close_price: null,
      close_time: null,
      profit: null,
      settled_by: null,
      error: null,
      at: 0,
      not_before: 0,
      sent_at: 0,
    });
    const start: ActionState = {
      ...newAction("close_all", false, 0),
      phase: "run",
      steps: [step(1001, "sending"), step(1002, "planned")],
    };
    const ctx = { now: 60_000, halted: true, haltReason: "account deleted" };
    const first = next(start, ctx);
    expect(first.command).toEqual({ type: "read_opened", purpose: "settle" });
    expect(first.state.failure).toBe("account deleted");
    expect(first.state.steps[1]).toMatchObject({
      state: "halted",
      error: "account deleted before it was sent",
    });
    // The wiped session cannot be read: the action ends at once, sending nothing.
    const ended = answer(first.state, first.command, { ok: false, code: ACCOUNT_DELETED }, 60_001);
    expect(ended).toMatchObject({ phase: "failed", failure: "account deleted" });
    expect(ended.steps.map((s) => [s.state, s.error])).toEqual([
      ["unknown", "not settled: account deleted (its session wiped)"],
      ["halted", "account deleted before it was sent"],
    ]);
    expect(next(ended, ctx).command).toEqual({ type: "finished", state: "failed" });
  });

  it("a halt found by the write itself: nothing kept, nothing sent, planned again halted", async () => {
    const broker = new FakeBroker(E18());
    // persists: 1 summary, 2 plan, 3 send 1001, 4 send 1002: refused, the halt is set.
    const { state, host } = await runToEnd(broker, { haltAtPersist: 4 });
    expect(host.haltRefusals).toBe(1);
    expect(broker.sendLog).toEqual([1001]);
    expect(state.phase).toBe("failed");
    expect(state.failure).toBe("halted by an operator");
    expect(state.steps.map((s) => s.state)).toEqual(["done", "halted", "halted"]);
    // The answer to the close sent before the halt is kept as evidence.
    expect(state.steps[0]!.settled_by).toBe("answer");
    expect(host.persisted).toEqual(state);
  });

  it("an eviction after the step was recorded and sent settles it by reading, not by sending", async () => {
    const broker = new FakeBroker(E18());
    const { state, restarts } = await runToEnd(broker, { evictAfterSend: new Set([1]) });
    expect(restarts).toBe(1);
    expect(state.phase).toBe("done");
    expect(broker.sends.get(1001)).toBe(1);
    expect(state.steps[0]).toMatchObject({ settled_by: "opened_orders" });
  });

  it("a database outage before a send sends nothing until the step is recorded", async () => {
    const broker = new FakeBroker(E18());
    // persists: 1 summary, 2 plan, 3 send 1001 (fails: not sent), then again.
    const { state, host } = await runToEnd(broker, { persistFails: new Set([3, 4, 5]) });
    expect(state.phase).toBe("done");
    expect(host.sendCalls).toBe(3);
    expect([...broker.sends.values()]).toEqual([1, 1, 1]);
  });

  it("an empty account finishes done with no steps", async () => {
    const { state } = await runToEnd(new FakeBroker([]));
    expect(state.phase).toBe("done");
    expect(state.steps).toEqual([]);
  });

  it("OpenedOrders unreadable for good fails the action with a reason", async () => {
    const broker = new FakeBroker(E18());
    broker.readFaults = ["ok", ...Array<ReadFault>(20).fill("fail")];
    const { state } = await runToEnd(broker);
    expect(state.phase).toBe("failed");
    expect(state.failure).toMatch(/OpenedOrders unreadable/);
    expect(broker.sendLog).toEqual([]);
  });
});

const sendFault = fc.constantFrom<SendFault>(
  "fill",
  "timeout_done",
  "timeout_not_done",
  "market_closed",
  "invalid_token",
  "throw",
  "throw_done",
);
const readFault = fc.constantFrom<ReadFault>("ok", "ok", "ok", "fail", "invalid_token");

describe("enforcement action under any faults", () => {
  it("never sends to a closed ticket; every ticket ends closed or the action fails with a reason", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 0, maxLength: 6 }),
        fc.array(sendFault, { maxLength: 20 }),
        fc.array(readFault, { maxLength: 20 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 4 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 10 }), { maxLength: 3 }),
        fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
        fc.boolean(),
        async (tickets, sends, reads, evictP, evictS, haltFrom, dryRun) => {
          const broker = new FakeBroker(
            tickets.map((t, i) => order(t, i % 3 === 2 ? "SellStop" : "Buy")),
          );
          broker.sendFaults = sends;
          broker.readFaults = reads;
          const { state } = await runToEnd(
            broker,
            { evictAfterPersist: new Set(evictP), evictAfterSend: new Set(evictS), haltFrom },
            dryRun,
          );
          expect(broker.sendsToClosed).toBe(0);
          expect(state.phase === "done" || state.phase === "failed").toBe(true);
          if (dryRun) expect(broker.sendLog).toEqual([]);
          if (state.phase === "done") {
            if (!dryRun) expect(broker.open.size).toBe(0);
          } else {
            expect(state.failure).toBeTruthy();
          }
          for (const st of state.steps) {
            // Every ticket the broker closed is done in the record; nothing done is still open.
            if (st.state === "done") expect(broker.open.has(st.ticket)).toBe(false);
            expect(broker.sends.get(st.ticket) ?? 0).toBeLessThanOrEqual(st.sends);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
