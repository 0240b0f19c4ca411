/** The banner shown while the monitor is `degraded` (docs/api.md, "Monitor health and dead letters"). */
import type { MonitorStatus } from "../types.ts";

const REASONS: Record<string, string> = {
  link_down: "an Events link is down",
  writes_stalled: "writes to the database are stalled",
  dead_letters: "there are dead letters",
  accounts_stale: "some accounts have no recent reading",
};

export function HealthBanner({ monitor }: { monitor: MonitorStatus | null }) {
  if (!monitor) return null;
  const degraded =
    monitor.health === "degraded" ||
    (monitor.health === undefined &&
      monitor.connection.state !== "open" &&
      monitor.subscriptions > 0);
  if (!degraded) return null;
  const reasons = monitor.reasons?.length
    ? monitor.reasons.map((r) => REASONS[r] ?? r)
    : [`the Events link is ${monitor.connection.state}`];
  return (
    <div class="banner" role="alert">
      <strong>Monitor degraded:</strong> {reasons.join("; ")}. Figures may lag.{" "}
      <a href="#/monitor">Monitor</a>
    </div>
  );
}
