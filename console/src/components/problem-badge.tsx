/**
 * An account's problem as a badge (docs/console.md): its code, how long it has held, and in
 * the tooltip what it means and since when (docs/mtapi-bridge.md).
 */
import { fmtAge, fmtTime } from "../format.ts";

/** What each problem means, for the tooltip. */
export const MEANING: Record<string, string> = {
  token_invalid: "MTAPI does not know the session token; it is being renewed",
  session_expired:
    "the session expired and cannot be renewed: paste a new token or set credentials",
  credentials_rejected:
    "the stored password was rejected (INVALID_ACCOUNT): change the credentials",
  upstream_unavailable:
    "the bridge or the broker server is not available (not the account's fault)",
  mtapi_unreachable: "MTAPI could not be reached or answered something else",
  unsynced: "MTAPI answered figures that are not yet the account's; not used, read again soon",
  stale: "no usable reading for longer than the staleness window",
  invalid_rules: "the account's rules cannot be evaluated",
};

export function ProblemBadge({
  problem,
  since,
  now,
}: {
  problem: string | null;
  since?: string | null;
  now: number;
}) {
  if (!problem) return null;
  const meaning = MEANING[problem] ?? problem;
  const title = since ? `${meaning} (since ${fmtTime(since)})` : meaning;
  return (
    <span class="badge problem" title={title} data-testid="problem-badge">
      {problem}
      {since ? ` · ${fmtAge(since, now)}` : ""}
    </span>
  );
}
