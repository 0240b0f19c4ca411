/**
 * Which webhook URLs the monitor may call (SSRF), and how a URL is shown (masked).
 * Pure. `https://` to a public host only; `http://` and loopback hosts only when the Worker
 * runs locally (`ALLOW_LOOPBACK_WEBHOOKS=1`, set by `npm run dev` and the tests, never in
 * production). Private, link-local, shared, multicast and reserved addresses are refused
 * whatever the scheme, as are names that only resolve inside a network (`localhost`,
 * `*.local`, `*.internal`, single labels).
 *
 * A name that resolves to a private address (DNS rebinding) cannot be checked from a Worker,
 * which has no resolver; deployed Workers cannot reach private networks in any case.
 */

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

/** `a.b.c.d` as a number, or null. */
function ipv4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** True for IPv4 addresses outside the public internet (RFC 6890 special-purpose). */
function privateV4([a, b]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b! >= 64 && b! <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a! >= 224
  );
}

/** The IPv4 address embedded in an IPv4-mapped IPv6 literal (`::ffff:7f00:1`), if any. */
function mappedV4(v6: string): number[] | null {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(v6);
  if (dotted) return ipv4(dotted[1]!);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(v6);
  if (!hex) return null;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255];
}

function privateV6(v6: string): boolean {
  const h = v6.toLowerCase();
  if (h === "::" || h === "::1") return true;
  const mapped = mappedV4(h);
  if (mapped) return privateV4(mapped);
  // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast, 64:ff9b::/96 NAT64.
  return /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || h.startsWith("ff") || h.startsWith("64:ff9b:");
}

/** True for `localhost`, `127.0.0.0/8` and `::1`: where a local receiver listens. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost") || h === "::1") return true;
  const v4 = ipv4(h);
  return v4 !== null && v4[0] === 127;
}

/** Checks a webhook URL; `allowLoopback` is true only in local runs. */
export function checkWebhookUrl(raw: string, allowLoopback: boolean): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a valid absolute URL" };
  }
  const host = url.hostname.toLowerCase();
  const loopback = isLoopbackHost(host);
  if (loopback) {
    if (!allowLoopback) return { ok: false, reason: "must not point at a loopback host" };
    if (url.protocol !== "https:" && url.protocol !== "http:")
      return { ok: false, reason: "must use https://" };
    return { ok: true, url };
  }
  if (url.protocol !== "https:") return { ok: false, reason: "must use https://" };
  const v6 = host.startsWith("[") ? host.slice(1, -1) : null;
  const v4 = ipv4(host);
  if ((v4 && privateV4(v4)) || (v6 !== null && privateV6(v6)))
    return { ok: false, reason: "must not point at a private or reserved address" };
  if (
    !v4 &&
    v6 === null &&
    (!host.includes(".") || /\.(local|internal|localdomain|home\.arpa|intranet|lan)$/.test(host))
  )
    return { ok: false, reason: "must name a public host" };
  return { ok: true, url };
}

/** The URL with any user name and password replaced by `***`, for answers and logs. */
export function maskUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "(invalid URL)";
  }
  if (!url.username && !url.password) return url.href;
  if (url.username) url.username = "***";
  if (url.password) url.password = "***";
  return url.href;
}

/** True when the Worker runs locally and may call loopback receivers. */
export function loopbackAllowed(env: { ALLOW_LOOPBACK_WEBHOOKS?: string | undefined }): boolean {
  return env.ALLOW_LOOPBACK_WEBHOOKS === "1";
}
