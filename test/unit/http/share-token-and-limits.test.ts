/**
 * Share-link tokens and the shared endpoints' rate limits (docs/trader-page.md), in Node:
 * the token's shape and randomness, which paths carry a token, and the fixed-window counter.
 */
import { describe, expect, it } from "vitest";
import { escapeHtml } from "../../../src/http/report-html.ts";
import { generateShareToken, isTokenShaped } from "../../../src/http/share-token-format.ts";
import { WindowCounter, tokenOfPath } from "../../../src/http/window-counter.ts";

describe("share-link tokens", () => {
  it("are 43 base64url characters (256 bits), different each time", () => {
    const a = generateShareToken();
    const b = generateShareToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(isTokenShaped(a)).toBe(true);
    expect(generateShareToken((bytes) => bytes.fill(255))).toBe("_".repeat(42) + "8");
  });

  it("rejects anything else as malformed", () => {
    for (const t of [
      "",
      "abc",
      "A".repeat(42),
      "A".repeat(44),
      `${"A".repeat(42)}=`,
      `${"A".repeat(42)}/`,
    ])
      expect(isTokenShaped(t), t).toBe(false);
  });
});

describe("the shared endpoints' limits", () => {
  it("find the token in the trader page's and the shared data's paths only", () => {
    expect(tokenOfPath("/t/abc")).toBe("abc");
    expect(tokenOfPath("/v1/shared/abc/violations/1/report")).toBe("abc");
    expect(tokenOfPath("/v1/accounts/1")).toBe("");
  });

  it("count per key in fixed windows, and forget a key when its window ends", () => {
    const c = new WindowCounter(3, 1000);
    for (let i = 0; i < 3; i++) {
      expect(c.full("k", 100)).toBe(false);
      c.add("k", 100 + i);
    }
    expect(c.full("k", 500)).toBe(true);
    expect(c.full("other", 500)).toBe(false);
    expect(c.retryAfterS("k", 500)).toBe(1);
    expect(c.full("k", 1100)).toBe(false);
    c.add("k", 1100);
    expect(c.count("k", 1100)).toBe(1);
  });
});

describe("the printable report", () => {
  it("escapes what it prints", () => {
    expect(escapeHtml(`<script>"x" & 'y'</script>`)).toBe(
      "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;",
    );
  });
});
