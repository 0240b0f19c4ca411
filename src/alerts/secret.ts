/** Endpoint signing secrets: `whsec_` + base64 of 24 random bytes (Standard Webhooks). */

/** A fresh secret. */
export function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
