import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RouteKeys } from "../../../../src/live/core/parse-frame.ts";
import {
  keysChanged,
  mergeSubscription,
  newSubscription,
  SubscriptionTable,
  subscribeFrame,
  type Subscription,
} from "../../../../src/live/core/subscriptions.ts";
import { ftmoRules, liveState, T0 } from "../../fixtures.ts";

/** A subscription with only what routing reads; the rest is the monitor's business. */
function sub(accountId: number, sessionId: string, login: string, server: string): Subscription {
  return {
    accountId,
    sessionId,
    login,
    server,
    rules: null,
    risk: null,
    subscribedAt: 0,
    lastEventAt: 0,
    lastEventTs: 0,
  } as unknown as Subscription;
}

function routedTo(
  table: SubscriptionTable,
  keys: RouteKeys,
): number | "unroutable" | "unsubscribed" {
  const found = table.find(keys);
  return typeof found === "string" ? found : found.accountId;
}

function table(...subs: Subscription[]): SubscriptionTable {
  const t = new SubscriptionTable();
  for (const s of subs) t.put(s);
  return t;
}

describe("SubscriptionTable routing", () => {
  const a = sub(1, "sess-a", "111", "Demo");
  const b = sub(2, "sess-b", "222", "Demo");

  it("routes by session id first", () => {
    expect(
      routedTo(table(a, b), { sessionId: "sess-b", login: "111", server: "Demo", accountId: 1 }),
    ).toBe(2);
  });

  it("counts an event whose session id names nobody as unsubscribed, even if its login and server name someone", () => {
    expect(routedTo(table(a, b), { sessionId: "sess-zzz", login: "222", server: "Demo" })).toBe(
      "unsubscribed",
    );
  });

  it("routes by login and server together when there is no session id", () => {
    expect(routedTo(table(a, b), { login: "222", server: "Demo", accountId: 1 })).toBe(2);
    expect(routedTo(table(a, b), { login: "222", server: "Live" })).toBe("unsubscribed");
  });

  it("falls through to the account id when a login comes without a server", () => {
    expect(routedTo(table(a, b), { login: "222", accountId: 1 })).toBe(1);
    expect(routedTo(table(a, b), { server: "Demo", accountId: 2 })).toBe(2);
  });

  it("routes by account id last", () => {
    expect(routedTo(table(a, b), { accountId: 1 })).toBe(1);
    expect(routedTo(table(a, b), { accountId: 3 })).toBe("unsubscribed");
  });

  it("calls an event with no routing key unroutable", () => {
    expect(routedTo(table(a, b), {})).toBe("unroutable");
    expect(routedTo(table(a, b), { login: "111" })).toBe("unroutable");
    expect(routedTo(new SubscriptionTable(), {})).toBe("unroutable");
  });

  it("does not confuse a login and server that only concatenate alike", () => {
    const t = table(sub(1, "s1", "12", "3Demo"));
    expect(routedTo(t, { login: "123", server: "Demo" })).toBe("unsubscribed");
  });

  it("drops the old keys when an account is put again with new ones", () => {
    const t = table(a, b);
    t.put(sub(1, "sess-a2", "333", "Live"));
    expect(t.size).toBe(2);
    expect(routedTo(t, { sessionId: "sess-a" })).toBe("unsubscribed");
    expect(routedTo(t, { login: "111", server: "Demo" })).toBe("unsubscribed");
    expect(routedTo(t, { sessionId: "sess-a2" })).toBe(1);
    expect(routedTo(t, { login: "333", server: "Live" })).toBe(1);
    expect(t.get(1)?.sessionId).toBe("sess-a2");
  });

  it("removes every key of an account on delete and returns what it held", () => {
    const t = table(a, b);
    expect(t.delete(1)).toBe(a);
    expect(t.size).toBe(1);
    expect(t.get(1)).toBeUndefined();
    expect(routedTo(t, { sessionId: "sess-a" })).toBe("unsubscribed");
    expect(routedTo(t, { login: "111", server: "Demo" })).toBe("unsubscribed");
    expect(routedTo(t, { accountId: 1 })).toBe("unsubscribed");
    expect(t.delete(1)).toBeUndefined();
    expect([...t.values()]).toEqual([b]);
  });
});

describe("subscribeFrame", () => {
  it("writes the service's subscribe and unsubscribe frames with the login as a string", () => {
    expect(
      JSON.parse(
        subscribeFrame("subscribe", {
          login: "12345678",
          server: "Broker-Demo",
          sessionId: "373386c4",
        }),
      ),
    ).toEqual({
      action: "subscribe",
      login: "12345678",
      server: "Broker-Demo",
      session_id: "373386c4",
    });
    const loose = { login: 12345678 as unknown as string, server: "S", sessionId: "x" };
    expect(JSON.parse(subscribeFrame("unsubscribe", loose))).toEqual({
      action: "unsubscribe",
      login: "12345678",
      server: "S",
      session_id: "x",
    });
  });
});

describe("SubscriptionTable properties", () => {
  type Op =
    | { op: "put"; id: number; session: string; login: string; server: string }
    | { op: "delete"; id: number };
  const small = (prefix: string) => fc.nat({ max: 3 }).map((n) => `${prefix}${n}`);
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      op: fc.constant("put" as const),
      id: fc.nat({ max: 4 }),
      session: small("s"),
      login: small("l"),
      server: small("v"),
    }),
    fc.record({ op: fc.constant("delete" as const), id: fc.nat({ max: 4 }) }),
  );
  const keys: fc.Arbitrary<RouteKeys> = fc.record(
    { sessionId: small("s"), login: small("l"), server: small("v"), accountId: fc.nat({ max: 4 }) },
    { requiredKeys: [] },
  );

  it("never routes an event to a subscription that its first key does not name", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 30 }),
        fc.array(keys, { minLength: 1, maxLength: 10 }),
        (ops, events) => {
          const t = new SubscriptionTable();
          for (const o of ops) {
            if (o.op === "put") t.put(sub(o.id, o.session, o.login, o.server));
            else t.delete(o.id);
          }
          for (const k of events) {
            const found = t.find(k);
            if (found === "unroutable") {
              expect(
                k.sessionId === undefined &&
                  (k.login === undefined || k.server === undefined) &&
                  k.accountId === undefined,
              ).toBe(true);
              continue;
            }
            if (found === "unsubscribed") continue;
            const s = found;
            expect(t.get(s.accountId)).toBe(s);
            if (k.sessionId !== undefined) expect(s.sessionId).toBe(k.sessionId);
            else if (k.login !== undefined && k.server !== undefined)
              expect([s.login, s.server]).toEqual([k.login, k.server]);
            else expect(s.accountId).toBe(k.accountId);
          }
        },
      ),
    );
  });

  it("finds every held subscription by each of its keys when no two accounts share a key", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 20 }), { maxLength: 8 }),
        fc.array(fc.nat({ max: 20 }), { maxLength: 8 }),
        (ids, deletes) => {
          const t = new SubscriptionTable();
          // Put twice: the second put renames every key, and must leave no trace of the first.
          for (const id of ids) t.put(sub(id, `old-s${id}`, `old-l${id}`, "Demo"));
          for (const id of ids) t.put(sub(id, `s${id}`, `l${id}`, "Demo"));
          for (const id of deletes) t.delete(id);
          const held = ids.filter((id) => !deletes.includes(id));
          expect(t.size).toBe(held.length);
          for (const id of ids) {
            const expected = held.includes(id) ? id : "unsubscribed";
            expect(routedTo(t, { sessionId: `s${id}` })).toBe(expected);
            expect(routedTo(t, { login: `l${id}`, server: "Demo" })).toBe(expected);
            expect(routedTo(t, { accountId: id })).toBe(expected);
            expect(routedTo(t, { sessionId: `old-s${id}` })).toBe("unsubscribed");
            expect(routedTo(t, { login: `old-l${id}`, server: "Demo" })).toBe("unsubscribed");
          }
        },
      ),
    );
  });
});

describe("building a subscription", () => {
  const rules = ftmoRules();
  const input = (accountId: number, sessionId: string, lastAt: number | null) => ({
    account_id: accountId,
    login: "1001",
    server: "Demo",
    session_id: sessionId,
    rules,
    risk_state: lastAt === null ? null : { ...liveState(rules, 95_300), last_at: lastAt },
  });

  it("starts a new account subscribed and REST-read now, never heard of by event", () => {
    const sub = newSubscription(input(1, "s1", T0), rules, T0 + 5);
    expect(sub).toMatchObject({
      accountId: 1,
      sessionId: "s1",
      subscribedAt: T0 + 5,
      lastRestAt: T0 + 5,
      lastEventAt: 0,
      lastEventTs: 0,
    });
    expect(sub.risk?.last_at).toBe(T0);
  });

  it("keeps the clocks of a held account and takes the new keys and rules", () => {
    const held = { ...newSubscription(input(1, "s1", T0), rules, T0), lastEventAt: T0 + 7 };
    const merged = mergeSubscription(held, input(1, "s2", T0 + 1), rules, T0 + 100);
    expect(merged).toMatchObject({ sessionId: "s2", subscribedAt: T0, lastEventAt: T0 + 7 });
    expect(keysChanged(held, merged)).toBe(true);
    expect(keysChanged(held, { ...held })).toBe(false);
  });

  it("keeps its own risk state when the subscriber's snapshot is older, and takes a newer one", () => {
    const held = newSubscription(input(1, "s1", T0 + 50), rules, T0);
    expect(mergeSubscription(held, input(1, "s1", T0 + 10), rules, T0).risk?.last_at).toBe(T0 + 50);
    expect(mergeSubscription(held, input(1, "s1", T0 + 90), rules, T0).risk?.last_at).toBe(T0 + 90);
    expect(mergeSubscription(held, input(1, "s1", null), rules, T0).risk?.last_at).toBe(T0 + 50);
  });
});
