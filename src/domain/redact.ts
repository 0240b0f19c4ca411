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
  const segments = parsed.pathname.split("/");
  if (segments.some(secretLookingSegment)) {
    parsed.pathname = segments.map((seg) => (secretLookingSegment(seg) ? "***" : seg)).join("/");
    changed = true;
  }
  // Unchanged URLs come back as given (no normalising of a trailing slash).
  return changed ? parsed.toString() : url;
}

/** `name: value`, `name=value` or `"name": "value"` where the name looks like a credential. */
const SECRET_PAIR =
  /(\b(?:token|api[_-]?key|key|secret|password|passwd|auth\w*|session[_-]?id)"?'?\s*[:=]\s*"?'?)(?!Bearer\s)([^\s"',;&)}\]]+)/gi;
const BEARER = /\b(Bearer\s+)[^\s"',;)]+/gi;
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>]+/gi;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Free text (an upstream error body, an exception message) with credentials masked as `***`:
 * every given secret (and its URL-encoded form) wherever it stands alone, bearer tokens,
 * `token=...`/`"session_id": "..."`-style pairs, and URLs as {@link redactUrl} masks them.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_IN_TEXT, (url) => redactUrl(url));
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
  }
  // Longest first, so a secret that contains another is masked whole.
  for (const s of [...forms].sort((a, b) => b.length - a.length)) {
    out = out.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(s)}(?![A-Za-z0-9])`, "g"), "***");
  }
  return out.replace(BEARER, "$1***").replace(SECRET_PAIR, "$1***");
}

/** Below this length showing 4 characters would give away too much of the secret. */
const MIN_REVEAL_LENGTH = 8;

/**
 * A secret as answers show it: its first 4 characters, then `...` (docs/api.md). A secret
 * shorter than {@link MIN_REVEAL_LENGTH} shows as `...` alone.
 */
export function maskSecret(secret: string): string {
  return secret.length < MIN_REVEAL_LENGTH ? "..." : `${secret.slice(0, 4)}...`;
}

/**
 * A database error's message with the values it may quote masked: a failed query's
 * parameters (drizzle's `Failed query: ...\nparams: ...` keeps the SQL text, drops the
 * parameters), a key's value (`Key (session_id)=(...)`), an input value Postgres could not
 * read (`invalid input syntax for type ...: "..."`), then {@link redactText}.
 */
export function redactDbMessage(message: string): string {
  const cut = message.replace(/\n?\s*params:[\s\S]*$/, "");
  return redactText(
    cut
      .replace(/(Key \([^)]*\)=\()[\s\S]*?(\)(?: already exists| is not present|\.|$))/g, "$1***$2")
      .replace(/((?:invalid input|value too long|invalid byte)[^:\n]*:\s*)"[\s\S]*?"/gi, '$1"***"'),
  );
}

/**
 * True for a path segment that looks like a credential: 16 or more token characters mixing
 * letters and digits (a Slack hook's last segment, a Discord token), 24 or more of them
 * whatever they mix, or a `whsec_`/`sk_`-style key.
 */
export function secretLookingSegment(segment: string): boolean {
  let s: string;
  try {
    s = decodeURIComponent(segment);
  } catch {
    s = segment;
  }
  if (/^(whsec|sk|pk|xox[abprs]|ghp|gho|glpat)[_-]/i.test(s)) return true;
  if (!/^[A-Za-z0-9_\-.~+=]+$/.test(s)) return false;
  if (s.length >= 24) return true;
  return s.length >= 16 && /[0-9]/.test(s) && /[A-Za-z]/.test(s);
}

/**
 * A webhook URL as any reader sees it (docs/security.md): user info, secret-looking path
 * segments and every query value replaced by `***`. Text that is no URL shows as
 * `(invalid URL)`.
 */
export function maskUrlSecrets(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "(invalid URL)";
  }
  if (url.username) url.username = "***";
  if (url.password) url.password = "***";
  url.pathname = url.pathname
    .split("/")
    .map((seg) => (secretLookingSegment(seg) ? "***" : seg))
    .join("/");
  const names = [...url.searchParams.keys()];
  if (names.length > 0) url.search = names.map((n) => `${encodeURIComponent(n)}=***`).join("&");
  url.hash = "";
  return url.href;
}
