/** "Trust" findings 2 and Slack escaping, pure (docs/security.md). */
import { describe, expect, it } from "vitest";
import { slackEscape, slackText } from "../../../src/alerts/slack.ts";
import { refuseAdjustment } from "../../../src/risk/index.ts";

const bounds = { balance: 100_000, pending: 0, initialBalance: 100_000, admin: false };

describe("refuseAdjustment", () => {
  it("refuses a withdrawal beyond the balance, pending adjustments counted, for every role", () => {
    expect(refuseAdjustment(-1e12, bounds)?.kind).toBe("withdrawal_exceeds_balance");
    expect(refuseAdjustment(-100_001, { ...bounds, admin: true })?.kind).toBe(
      "withdrawal_exceeds_balance",
    );
    expect(refuseAdjustment(-100_000, bounds)).toBeNull();
    expect(refuseAdjustment(-50_001, { ...bounds, pending: -50_000 })).not.toBeNull();
    expect(refuseAdjustment(-150_000, { ...bounds, pending: 50_000 })).toBeNull();
    // A balance at or below zero leaves nothing to withdraw.
    expect(refuseAdjustment(-1, { ...bounds, balance: -5 })).not.toBeNull();
  });

  it("lets an operator deposit up to initial_balance and an admin more", () => {
    expect(refuseAdjustment(100_000, bounds)).toBeNull();
    expect(refuseAdjustment(100_000.01, bounds)?.kind).toBe("deposit_needs_admin");
    expect(refuseAdjustment(1e9, { ...bounds, admin: true })).toBeNull();
  });
});

describe("Slack text", () => {
  const account = { id: 1, login: "1", server: "S", label: "<!channel> & <https://x|y>" };

  it("escapes &, < and > from account data", () => {
    expect(slackEscape("a<b>&c")).toBe("a&lt;b&gt;&amp;c");
    const text = slackText({
      type: "account.problem",
      timestamp: "",
      data: { account, problem: "stale", detail: { change: "appeared", problem: "stale" } },
    });
    expect(text).not.toContain("<!channel>");
    expect(text).toContain("&lt;!channel&gt; &amp; &lt;https://x|y&gt;");
  });

  it("says who adjusted which account by how much", () => {
    const text = slackText({
      type: "account.adjusted",
      timestamp: "",
      data: {
        account,
        adjustment: { id: 3, amount: -5_000, note: "<b>", actor: "ops", created_at: "" },
      },
    });
    expect(text).toContain("withdrawal of 5,000 by ops: &lt;b&gt;");
  });
});
