/**
 * The shape of a share-link token (docs/trader-page.md): 32 random bytes in base64url, 43
 * characters (256 bits). Imports nothing, so Node tests use it as is.
 */

/** A token's shape: 43 base64url characters. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Longest lifetime of a link, in days. */
export const MAX_SHARE_DAYS = 90;

/** A new random token (`random` fills the bytes; the platform's CSPRNG by default). */
export function generateShareToken(
  random: (bytes: Uint8Array<ArrayBuffer>) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  const bytes = random(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** True when `token` has a token's shape. */
export function isTokenShaped(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}
