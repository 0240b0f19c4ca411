/**
 * The cron handler, every minute: the live side (wake every shard and reconcile it with
 * Postgres, src/live/client/reconcile-shards.ts) then the alerts pass; the poll sweep over
 * every account that is not live (src/poll/sweep.ts) then the polled accounts' health,
 * announced when it changed (src/poll/poller-health.ts), and the `stale` problem of accounts
 * past their window (src/accounts/stale.ts); and the thinning of aged readings
 * (src/accounts/retention.ts); enforcement actions that wait or were interrupted resume
 * (docs/enforcement.md, "Execution"). docs/architecture.md, "A cron tick to a written figure".
 */
import { runAlertsPass } from "../alerts/consumer.ts";
import { lt } from "drizzle-orm";
import { thinReadings, thinTrades } from "../accounts/retention.ts";
import { consoleSessionRevocations } from "../db/schema.ts";
import { withDb } from "../db/client.ts";
import { reconcileLive } from "../live/client/reconcile-shards.ts";
import { log } from "../util/log.ts";
import { runPollerHealth } from "../poll/poller-health.ts";
import { dispatchSweep } from "../poll/sweep.ts";
import { liveAccountsWithTradeRules } from "../accounts/trades.ts";
import { judgeStoredTrades } from "../poll/trades.ts";
import { renewLiveSessions } from "../poll/renew.ts";
import { sealKeysOf } from "../accounts/credentials.ts";
import { subscribeLive, toSubscribeInput } from "../live/client/handoff.ts";
import { enforcementPass } from "../enforce/run.ts";
import { markStaleAccounts } from "../accounts/stale.ts";

export async function scheduled(
  _controller: ScheduledController,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  // The alerts pass runs after the reconcile, not beside it: run beside both, it made their
  // queries fail in the workerd tests (likely the six open connections per invocation).
  ctx.waitUntil(
    reconcileLive(env)
      .catch((err: unknown) => log("monitor:reconcile_failed", {}, err))
      .then(() => runAlertsPass(env))
      .catch((err: unknown) => log("alerts:pass_failed", {}, err)),
  );
  // The polled accounts' health is judged after the sweep, which may have just read them.
  ctx.waitUntil(
    dispatchSweep(env)
      .catch((err: unknown) => log("poll:sweep_failed", {}, err))
      .then(() => runPollerHealth(env))
      .catch((err: unknown) => log("poll:health_failed", {}, err))
      // Accounts past their window with no reading get the problem `stale` (docs/api.md,
      // "Problems"), judged after the sweep that may have just read them.
      .then(() => withDb(env, (db) => markStaleAccounts(db, Date.now())))
      .then((ids) => ids && ids.length > 0 && log("poll:stale_marked", { accounts: ids.length }))
      .catch((err: unknown) => log("poll:stale_failed", {}, err))
      // Enforcement after the sweep, not beside it: one more pool beside the others made
      // their queries fail in the workerd tests (as with the alerts pass above).
      .then(() => withDb(env, (db) => enforcementPass(db, env)))
      .then((ran) => ran > 0 && log("enforcement:resumed", { actions: ran }))
      .catch((err: unknown) => log("enforcement:pass_failed", {}, err)),
  );
  // The timer of the time-based trade rules of live accounts (docs/trades.md, "When rules are
  // judged"); polled accounts are judged by their poll.
  ctx.waitUntil(
    withDb(env, async (db) =>
      judgeStoredTrades(db, await liveAccountsWithTradeRules(db), Date.now()),
    )
      .then((r) => r.accounts > 0 && log("trades:judged", { ...r }))
      .catch((err: unknown) => log("trades:judge_failed", {}, err)),
  );
  // docs/mtapi-bridge.md "Sessions": live accounts the monitor could not reconnect by token
  // log in again with their stored credentials, and are subscribed under the new token.
  ctx.waitUntil(
    (async () => {
      const sealKeys = await sealKeysOf(env);
      const n = await withDb(env, (db) =>
        renewLiveSessions(db, {
          mtapiUrl: env.MTAPI_URL,
          sealKeys,
          resubscribe: async (rows) => {
            await subscribeLive(
              env,
              rows.map((r) => toSubscribeInput(r)),
            );
          },
        }),
      );
      if (n > 0) log("session:live_renewed", { accounts: n });
    })().catch((err: unknown) => log("session:live_renew_failed", {}, err)),
  );
  ctx.waitUntil(
    withDb(env, (db) => thinReadings(db))
      .then((r) => r.deleted.some((n) => n > 0) && log("retention:thinned", { ...r }))
      .catch((err: unknown) => log("retention:failed", {}, err)),
  );
  ctx.waitUntil(
    withDb(env, (db) => thinTrades(db))
      .then((r) => r.deleted > 0 && log("retention:trades_thinned", { ...r }))
      .catch((err: unknown) => log("retention:failed", { table: "trades" }, err)),
  );
  // Revoked console sessions past their expiry: their cookies are refused as expired anyway.
  ctx.waitUntil(
    withDb(env, (db) =>
      db
        .delete(consoleSessionRevocations)
        .where(lt(consoleSessionRevocations.expiresAt, new Date())),
    ).catch((err: unknown) => log("sessions:prune_failed", {}, err)),
  );
}
