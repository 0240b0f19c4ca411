/**
 * Every address of the live monitor goes through here (account -> stub), so that sharding
 * accounts over several monitors (several connections) can come later without touching callers.
 */
export const MONITOR_SHARDS = 1;

/** The monitor that watches `accountId` (today: the one singleton). */
export function monitorFor(
  env: Env,
  _accountId?: number,
): DurableObjectStub<import("./live-monitor.ts").LiveMonitor> {
  return env.LIVE_MONITOR.getByName("live-monitor-0");
}

/** Every monitor shard (today: one). */
export function allMonitors(
  env: Env,
): Array<DurableObjectStub<import("./live-monitor.ts").LiveMonitor>> {
  return [monitorFor(env)];
}
