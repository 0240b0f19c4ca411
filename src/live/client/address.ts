/**
 * Every address of the live monitor goes through here (account -> stub), so that sharding
 * accounts over several monitors (several connections) can come later without touching callers.
 */
import type { LiveMonitor } from "../monitor.ts";

/** The monitor that watches every live account (today: the one singleton). */
export function monitorFor(env: Env): DurableObjectStub<LiveMonitor> {
  return env.LIVE_MONITOR.getByName("live-monitor-0");
}

/** Every monitor shard (today: one). */
export function allMonitors(env: Env): Array<DurableObjectStub<LiveMonitor>> {
  return [monitorFor(env)];
}
