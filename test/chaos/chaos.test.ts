/**
 * The chaos suite's short form (seed 7, 30 s of faults): the whole stack under random
 * faults keeps its invariants (test/chaos/engine.ts), with enforcement on: every breached
 * account with a closing consequence flat, no ticket sent a close twice, no action where none
 * is due (test/chaos/enforcement.ts). `npm run chaos -- --minutes 10` is the long form.
 */
import { describe, expect, it } from "vitest";
import { formatReport, runChaos } from "./engine.ts";

describe("chaos, short form", () => {
  it("records every scripted breach exactly once, never goes blind silently and enforces exactly once under random faults", async () => {
    const report = await runChaos({ seconds: 30, seed: 7, accounts: 16 });
    process.stderr.write(`${formatReport(report)}\n`);
    for (const line of report.enforcement?.list ?? []) process.stderr.write(`  ${line}\n`);
    const injected = Object.values(report.faults).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(3);
    expect(report.breaches.scripted).toBeGreaterThan(0);
    // Enforcement was met: breaches acted on, closes sent, and the enforcement faults answered.
    expect(report.enforcement?.actions.close_all).toBeGreaterThan(2);
    expect(report.enforcement?.sends).toBeGreaterThan(3);
    expect(report.invariants.filter((i) => !i.held)).toEqual([]);
  });
});
