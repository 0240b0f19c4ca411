/** The structured log (src/util/log.ts): one JSON line per event, from one list of names. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { log, LOG_EVENTS, type LogEvent } from "../../../src/util/log.ts";

const SRC = join(import.meta.dirname, "../../../src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [join(dir, e.name)]
        : [],
  );
}

afterEach(() => vi.restoreAllMocks());

describe("the structured log", () => {
  it("writes one JSON line with the event and its fields", () => {
    const out = vi.spyOn(console, "log").mockImplementation(() => {});
    log("poll:sweep", { accounts: 3 });
    expect(out.mock.calls).toEqual([['{"event":"poll:sweep","accounts":3}']]);
  });

  it("writes a failure to stderr with the error's name and message", () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    log("http:error", { path: "/v1/x" }, new TypeError("boom"));
    expect(JSON.parse(err.mock.calls[0]![0] as string)).toEqual({
      event: "http:error",
      path: "/v1/x",
      error: { name: "TypeError", message: "boom" },
    });
  });

  it("takes only the named events", () => {
    const out = vi.spyOn(console, "log").mockImplementation(() => {});
    // @ts-expect-error: not a named event (the type check of test/unit fails without the error).
    log("poll:swept");
    const known: LogEvent = "violation:recorded";
    expect(LOG_EVENTS).toContain(known);
    expect(out).toHaveBeenCalledOnce();
  });

  it("lists each event once, and only events the source logs", () => {
    expect(new Set(LOG_EVENTS).size).toBe(LOG_EVENTS.length);
    const text = sources(SRC)
      .filter((f) => !f.endsWith(join("util", "log.ts")))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const unused = LOG_EVENTS.filter((e) => !text.includes(`"${e}"`));
    expect(unused).toEqual([]);
  });
});
