/**
 * Health changes to announce (docs/alerts.md, "Health announcements"),
 * pure: the monitor keeps the last health it announced; a tick whose health differs from it
 * is one change, announced once. Reasons changing while the health stays the same are not.
 */
import type { HealthReason } from "./health.ts";

/** The health as the monitor's status shows it. */
export interface HealthNow {
  health: "ok" | "degraded";
  reasons: HealthReason[];
}

/** A change to announce, kept in the monitor's storage until Postgres has it. */
export interface HealthNotice {
  /** The webhook message id (`msg_...`): recording it twice stores it once. */
  id: string;
  degraded: boolean;
  health: "ok" | "degraded";
  reasons: HealthReason[];
  /** When the change was seen (epoch ms). */
  at: number;
}

/** At most this many changes wait for Postgres; beyond it the oldest are dropped. */
export const MAX_PENDING_NOTICES = 50;

/**
 * The change to announce, or null: `announced` is the health last announced (a monitor that
 * never announced one counts as `ok`, so a first healthy tick says nothing).
 */
export function healthChange(
  announced: "ok" | "degraded" | undefined,
  now: HealthNow,
  at: number,
  newId: () => string,
): HealthNotice | null {
  if (now.health === (announced ?? "ok")) return null;
  return {
    id: newId(),
    degraded: now.health === "degraded",
    health: now.health,
    reasons: [...now.reasons],
    at,
  };
}

/** The pending notices with `notice` added, the oldest dropped beyond the bound. */
export function addNotice(
  pending: readonly HealthNotice[],
  notice: HealthNotice,
  max = MAX_PENDING_NOTICES,
): HealthNotice[] {
  return [...pending, notice].slice(-max);
}
