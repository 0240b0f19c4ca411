/**
 * The trader page's requests: to `/v1/shared/<token>/...` only, never with credentials (the
 * desk's session cookie is not sent: `credentials: "omit"`), never cached.
 */

/** The token of the page's address, `/t/<token>`. */
export function tokenOfLocation(path: string): string {
  const m = /^\/t\/([^/?#]+)/.exec(path);
  return m ? decodeURIComponent(m[1]!) : "";
}

/** A failed request: its HTTP status (0 for a network error). */
export class SharedError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** GETs `/v1/shared/<token><suffix>` as JSON. */
export async function getShared<T>(token: string, suffix = ""): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/v1/shared/${encodeURIComponent(token)}${suffix}`, {
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
      headers: { accept: "application/json" },
    });
  } catch {
    throw new SharedError(0);
  }
  if (!res.ok) throw new SharedError(res.status);
  return (await res.json()) as T;
}
