import { describe, expect, it } from "vitest";
import { planRereads, quietSubscriptions, rollDays } from "../../../../src/live/core/watchdog.ts";
import { liveSub } from "../../fixtures.ts";
import type { Subscription } from "../../../../src/live/core/subscriptions.ts";

function sub(accountId: number, lastEventAt: number, lastRestAt: number): Subscription {
  return {
    accountId,
    login: String(accountId),
    server: "S",
    sessionId: `s${accountId}`,
    rules: {} as Subscription["rules"],
    risk: null,
    subscribedAt: 0,
    lastEventAt,
    lastEventTs: 0,
    lastRestAt,
    leaving: false,
  };
}

describe("the watchdog", () => {
  it("picks live accounts heard of neither by event nor by REST within the window, longest-quiet first", () => {
    const now = 100_000;
    const subs = [sub(1, 95_000, 0), sub(2, 10_000, 20_000), sub(3, 0, 5_000), sub(4, 0, 99_000)];
    expect(quietSubscriptions(subs, now, 60_000, 10).map((s) => s.accountId)).toEqual([3, 2]);
  });

  it("caps the number of re-reads per heartbeat", () => {
    const subs = Array.from({ length: 50 }, (_, i) => sub(i, 0, i));
    const picked = quietSubscriptions(subs, 1_000_000, 60_000, 10);
    expect(picked.map((s) => s.accountId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe("the day roll", () => {
  it("rolls every account whose day ended and sets aside one whose rules cannot be evaluated", () => {
    const good = liveSub(1);
    const bad = liveSub(2);
    bad.rules = {
      ...bad.rules,
      daily_reset: { ...bad.rules.daily_reset, timezone: "Mars/Olympus" },
    };
    const later = good.risk!.day_end_ms + 1;
    const { rolled, broken } = rollDays([bad, good], later);
    expect(rolled.map((s) => s.accountId)).toEqual([1]);
    expect(broken.map((s) => s.accountId)).toEqual([2]);
    expect(good.risk!.day_start_ms).toBeGreaterThan(0);
    expect(good.risk!.day_end_ms).toBeGreaterThan(later);
  });

  it("hands the quiet accounts beyond a heartbeat's bound to the queue, not again while in hand", () => {
    const now = 1_000_000;
    const quiet = Array.from({ length: 5 }, (_, i) => sub(i + 1, 0, i));
    const first = planRereads(quiet, new Map(), now, 60_000, 2);
    expect(first.inline.map((s) => s.accountId)).toEqual([1, 2]);
    expect(first.handOff.map((s) => s.accountId)).toEqual([3, 4, 5]);
    // 3 handed off 10 s ago, 4 handed off 70 s ago (lost?), 5 handed off and heard of since.
    quiet[4]!.lastRestAt = now - 5_000;
    const handed = new Map([
      [3, now - 10_000],
      [4, now - 70_000],
      [5, now - 10_000],
    ]);
    const again = planRereads(quiet, handed, now, 60_000, 2);
    expect(again.handOff.map((s) => s.accountId)).toEqual([4, 5]);
  });
});
