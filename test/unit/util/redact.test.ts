import { describe, expect, it } from "vitest";
import { redactUrl } from "../../../src/domain/redact.ts";

describe("redactUrl", () => {
  it("masks user info and secret-looking query values, and leaves the rest", () => {
    expect(redactUrl("wss://bob:pw@events.example.com/ws?token=abc&region=eu")).toBe(
      "wss://***@events.example.com/ws?token=***&region=eu",
    );
    expect(redactUrl("https://mtapi.example.com/x?api_key=1")).toBe(
      "https://mtapi.example.com/x?api_key=***",
    );
    expect(redactUrl("ws://127.0.0.1:8790")).toBe("ws://127.0.0.1:8790");
  });
});
