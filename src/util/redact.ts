/**
 * Secrets out of what is logged and shown: credentials in a URL (user info, and query
 * parameters that look like tokens or keys) are replaced by `***`.
 */
const SECRET_PARAM = /token|key|secret|password|auth|session/i;

/** The URL with its user info and secret-looking query values masked; other text unchanged. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, "//***@");
  }
  let changed = false;
  if (parsed.username || parsed.password) {
    parsed.username = "***";
    parsed.password = "";
    changed = true;
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (!SECRET_PARAM.test(name)) continue;
    parsed.searchParams.set(name, "***");
    changed = true;
  }
  // Unchanged URLs come back as given (no normalising of a trailing slash).
  return changed ? parsed.toString() : url;
}
