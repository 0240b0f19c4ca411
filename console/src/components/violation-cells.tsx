/** The cells every violations table shows: rule, period, equity, floor, usage, source. */
import { fmtMoney, fmtPct } from "../format.ts";
import type { Violation } from "../types.ts";
import { num, type Column } from "./grid.tsx";

/** The headings of {@link ViolationCells}. */
export const VIOLATION_COLUMNS: readonly Column[] = [
  "Rule",
  "Period",
  num("Equity"),
  num("Floor"),
  num("Usage"),
  "Source",
];

export function ViolationCells({ v }: { v: Violation }) {
  return (
    <>
      <td>{v.rule}</td>
      <td>{v.period}</td>
      <td class="num">{fmtMoney(v.equity)}</td>
      <td class="num">{fmtMoney(v.floor)}</td>
      <td class="num">{fmtPct(v.usage)}</td>
      <td>{v.source}</td>
    </>
  );
}
