/**
 * Which upstream URLs (`MTAPI_URL`, `EVENTS_URL`) the Worker may use (docs/security.md,
 * "Upstream URLs"): session tokens travel in every request, so only `https://` and `wss://`,
 * except to a loopback host (the simulator of a local run; a deployed Worker reaches none).
 * Pure.
 */

function loopback(hostname: string): boolean {
  const h = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.+$/, "");
  return (
    h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h)
  );
}

/** Why `url` may not be used as an upstream, or null when it may. */
export function upstreamProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "upstream URL is not a valid absolute URL";
  }
  if (parsed.protocol === "https:" || parsed.protocol === "wss:") return null;
  if ((parsed.protocol === "http:" || parsed.protocol === "ws:") && loopback(parsed.hostname))
    return null;
  return `upstream URL must use https:// or wss:// (got ${parsed.protocol}//${parsed.host})`;
}
