/**
 * The chaos suite's short form (seed 7, 30 s of faults): the whole stack under random
 * faults keeps its invariants (test/chaos/engine.ts). `npm run chaos -- --minutes 10` is
 * the long form.
 */
import { describe, expect, it } from "vitest";
import { formatReport, runChaos } from "./engine.ts";

describe("chaos, short form", () => {
  it("records every scripted breach exactly once and never goes blind silently under random faults", async () => {
    const report = await runChaos({ seconds: 30, seed: 7, accounts: 16 });
    process.stderr.write(`${formatReport(report)}\n`);
    const injected = Object.values(report.faults).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(3);
    expect(report.breaches.scripted).toBeGreaterThan(0);
    expect(report.invariants.filter((i) => !i.held)).toEqual([]);
  });
});
