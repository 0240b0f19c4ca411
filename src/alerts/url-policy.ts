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

import { maskUrlSecrets } from "../domain/redact.ts";

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

/** An IPv6 literal (no brackets) as its 8 groups, or null when it is not one. */
function expandV6(v6: string): number[] | null {
  let text = v6.toLowerCase();
  // A trailing dotted IPv4 (`::ffff:10.0.0.1`) becomes two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4(dotted[2]!);
    if (!v4) return null;
    text = `${dotted[1]}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : fill < 0) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/** Two 16-bit groups as an IPv4 address. */
function v4Of(hi: number, lo: number): number[] {
  return [hi >> 8, hi & 255, lo >> 8, lo & 255];
}

/**
 * True for IPv6 addresses outside the public internet, and for those that carry an IPv4
 * address a router would reach (mapped, compatible, 6to4, Teredo, NAT64): `[::7f00:1]` is
 * 127.0.0.1 (docs/alerts.md, "URL policy (SSRF)").
 */
function privateV6(v6: string): boolean {
  const g = expandV6(v6);
  if (!g) return true;
  const [a, b] = g;
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(8) || (zeros(7) && g[7] === 1)) return true; // :: and ::1
  if (zeros(5) && g[5] === 0xffff) return privateV4(v4Of(g[6]!, g[7]!)); // ::ffff:a.b.c.d
  if (zeros(6)) return true; // ::a.b.c.d, IPv4-compatible (deprecated): never a public host
  if (a === 0x2002) return privateV4(v4Of(b!, g[2]!)); // 6to4
  if (a === 0x2001 && b === 0) return true; // Teredo
  if (a === 0x2001 && b === 0xdb8) return true; // documentation
  if (a === 0x64 && b === 0xff9b) return true; // NAT64
  if (a === 0x100 && zeros(4)) return true; // discard-only
  // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast.
  return (a! & 0xfe00) === 0xfc00 || (a! & 0xffc0) === 0xfe80 || (a! & 0xff00) === 0xff00;
}

/**
 * Public names that resolve to whatever address they spell (`127.0.0.1.nip.io`): a way around
 * the address checks without DNS rebinding. Refused whole.
 */
const WILDCARD_DNS =
  /(^|\.)(nip\.io|sslip\.io|xip\.io|localtest\.me|lvh\.me|vcap\.me|traefik\.me|1u\.ms|local\.gd)$/;

/** An IPv4 address spelled inside a host name (`10.0.0.1.example.com`, `10-0-0-1.example.com`). */
function embeddedV4(host: string): number[] | null {
  const m = /(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?=$|[.-])/.exec(host);
  return m ? ipv4(m.slice(1).join(".")) : null;
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
  // A trailing dot names the same host (`localhost.`, `db.internal.`): judged without it.
  const host = url.hostname.toLowerCase().replace(/\.+$/, "");
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
  const spelled = v4 ? null : embeddedV4(host);
  if (WILDCARD_DNS.test(host) || (spelled !== null && privateV4(spelled)))
    return { ok: false, reason: "must not point at a private or reserved address" };
  return { ok: true, url };
}

/**
 * The URL as answers, the audit and logs show it: user info, secret-looking path segments
 * and every query value replaced by `***` ({@link maskUrlSecrets}).
 */
export function maskUrl(raw: string): string {
  return maskUrlSecrets(raw);
}

/** True when the Worker runs locally and may call loopback receivers. */
export function loopbackAllowed(env: { ALLOW_LOOPBACK_WEBHOOKS?: string | undefined }): boolean {
  return env.ALLOW_LOOPBACK_WEBHOOKS === "1";
}
