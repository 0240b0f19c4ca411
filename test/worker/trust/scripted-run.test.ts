/**
 * "Trust", done when (docs/security.md): a scripted run with breaches, bad stamps, refused
 * sessions, a refused adjustment and webhooks whose URLs carry secrets; then every answer a
 * viewer may read, every export and the log are searched for each token, password and secret
 * of the run, and none is found. The database (accounts, webhook endpoints, the alerts,
 * attempts, audit and evidence) and the live monitor's storage are searched too: session
 * tokens, webhook secrets and URLs are stored sealed (docs/security.md, "Secrets at rest").
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { monitorFor } from "../../../src/live/client/address.ts";
import { eventually, runCron, sim, withTestDb } from "../helpers.ts";
import { addToSim, api, createKey, createViaApi } from "../api/helpers.ts";
import { deleteAllEndpoints, hookUrl, newHook, receivedBy } from "../alerts/sink-helpers.ts";
import { emit, simWait } from "../live/live-helpers.ts";

afterEach(deleteAllEndpoints);

describe("a scripted run", () => {
  it("leaves no token, password or secret in any answer a viewer reads, any export or the log", async () => {
    const lines: string[] = [];
    const keep = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    const spies = [
      vi.spyOn(console, "log").mockImplementation(keep),
      vi.spyOn(console, "error").mockImplementation(keep),
      vi.spyOn(console, "warn").mockImplementation(keep),
    ];
    const secrets: string[] = [env.ADMIN_TOKEN];
    try {
      // Webhooks whose URLs carry secrets (user info, a Slack-like path, a query key).
      const password = `pw${crypto.randomUUID().replaceAll("-", "").slice(0, 14)}`;
      const pathToken = `Tk${crypto.randomUUID().replaceAll("-", "").slice(0, 22)}`;
      const apiKey = `ak-${crypto.randomUUID()}`;
      const hook = newHook();
      const base = hookUrl(hook).replace("http://", `http://ops:${password}@`);
      const hooks = [];
      for (const url of [`${base}?api_key=${apiKey}`, `${hookUrl(newHook())}/${pathToken}`]) {
        const res = await api("POST", "/v1/webhooks", { json: { url, events: ["*"] } });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        hooks.push(res.body);
        secrets.push(res.body.secret, res.body.secret.slice(6));
      }
      const rotated = await api("PATCH", `/v1/webhooks/${hooks[0].id}`, {
        json: { rotate_secret: true },
      });
      secrets.push(rotated.body.secret, rotated.body.secret.slice(6));
      secrets.push(password, pathToken, apiKey);

      // A breach by poll, with evidence and alerts.
      const breached = await createViaApi({ label: "breach <b>&" });
      secrets.push(breached.sessionId);
      await addToSim(breached, { balance: 100_000, equity: 94_000 });
      // A refused session: MTAPI does not know it.
      const refused = await createViaApi({ label: "refused" });
      secrets.push(refused.sessionId);
      // A live account fed a bad stamp and an event for a session nobody watches.
      const live = await createViaApi({ label: "live" });
      secrets.push(live.sessionId);
      await addToSim(live, { balance: 100_000, equity: 95_100 });
      const polled = await api("POST", "/v1/poll", {
        json: { account_ids: [breached.account.id, refused.account.id, live.account.id] },
      });
      expect(polled.status, JSON.stringify(polled.body)).toBe(200);
      await simWait({ subscribed: [live.sessionId] }, 15_000);
      const stranger = `stranger-${crypto.randomUUID()}`;
      secrets.push(stranger);
      await emit(
        [
          {
            type: "OrderProfit",
            session_id: live.sessionId,
            timestamp: Date.now() + 86_400_000,
            data: { balance: 100_000, equity: 95_300 },
          },
          { type: "OrderProfit", session_id: stranger, data: { balance: 1, equity: 1 } },
        ],
        { session_id: live.sessionId },
      );
      const monitor = monitorFor(env, live.account.id);
      await eventually(
        async () => ((await monitor.status()).invalid_samples.length > 0 ? true : null),
        5_000,
        "the bad stamp kept as a sample",
      );
      // A refused adjustment and an accepted one; a reset; the cron.
      const operator = await createKey("operator");
      secrets.push(operator.key);
      expect(
        (
          await api("POST", `/v1/accounts/${live.account.id}/adjustments`, {
            token: operator.key,
            json: { amount: -1e12 },
          })
        ).status,
      ).toBe(422);
      await runCron();
      await eventually(
        async () => ((await receivedBy(hook)).length > 0 ? true : null),
        10_000,
        "an alert at the receiver",
      );

      // Everything a viewer may read.
      const viewer = await createKey("viewer");
      secrets.push(viewer.key);
      const read = async (path: string) => {
        const res = await api("GET", path, { token: viewer.key });
        expect(res.status, path).toBe(200);
        return typeof res.body === "string" ? res.body : JSON.stringify(res.body);
      };
      const paths = [
        "/v1/accounts?limit=200",
        "/v1/accounts.csv",
        "/v1/violations?limit=200",
        "/v1/violations.csv",
        "/v1/audit?limit=200",
        "/v1/monitor",
        "/v1/monitor/subscriptions",
        "/v1/monitor/dead-letters",
        "/v1/webhooks",
        "/v1/presets",
        "/v1/session",
        "/openapi.json",
      ];
      for (const a of [breached, refused, live]) {
        const id = a.account.id;
        paths.push(
          `/v1/accounts/${id}`,
          `/v1/accounts/${id}/rules`,
          `/v1/accounts/${id}/violations`,
          `/v1/accounts/${id}/equity`,
          `/v1/accounts/${id}/adjustments`,
        );
      }
      for (const h of hooks) paths.push(`/v1/webhooks/${h.id}`, `/v1/webhooks/${h.id}/deliveries`);
      const answers = [];
      for (const p of paths) answers.push(await read(p));
      const violations = JSON.parse(await read(`/v1/accounts/${breached.account.id}/violations`));
      expect(violations.items.length).toBeGreaterThan(0);
      for (const v of violations.items) answers.push(await read(`/v1/violations/${v.id}`));
      // The alerts the receivers got are read by whoever runs them: no session token there.
      answers.push(JSON.stringify(await receivedBy(hook)));

      const everything = answers.join("\n");
      const log = lines.join("\n");
      for (const s of secrets) {
        expect(everything.includes(s), `a viewer's answers hold ${s.slice(0, 4)}...`).toBe(false);
        expect(log.includes(s), `the log holds ${s.slice(0, 4)}...`).toBe(false);
      }
      expect(everything).not.toMatch(/whsec_[A-Za-z0-9+/]{8}/);

      // The database and the monitor's storage: tokens, secrets and URLs only sealed.
      const stored = await runInDurableObject(monitor, (_i, ctx: DurableObjectState) =>
        JSON.stringify(ctx.storage.sql.exec("SELECT * FROM subs").toArray()),
      );
      const dump = await withTestDb(async (db) => {
        const rows = await db.execute(sql`
          select (select jsonb_agg(to_jsonb(w)) from webhook_endpoints w) as hooks,
                 (select jsonb_agg(to_jsonb(a)) from accounts a) as accounts,
                 (select jsonb_agg(to_jsonb(m)) from webhook_messages m) as messages,
                 (select jsonb_agg(to_jsonb(a)) from webhook_attempts a) as attempts,
                 (select jsonb_agg(to_jsonb(a)) from account_audit a) as audit,
                 (select jsonb_agg(to_jsonb(v)) from violations v) as violations`);
        return JSON.stringify(rows.rows) + stored;
      });
      expect(stored).toContain(`"account_id":${live.account.id}`);
      for (const h of [...hooks, rotated.body])
        if (h.secret) expect(dump.includes(h.secret.slice(6))).toBe(false);
      const atRest = [breached.sessionId, refused.sessionId, live.sessionId, password, pathToken];
      for (const s of [...atRest, apiKey])
        expect(dump.includes(s), `the audit, alerts or evidence hold ${s.slice(0, 4)}...`).toBe(
          false,
        );
    } finally {
      for (const s of spies) s.mockRestore();
      await sim("/accounts", []).catch(() => {});
    }
  });
});
