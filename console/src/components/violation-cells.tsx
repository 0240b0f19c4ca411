/** The cells every violations table shows: rule, period, equity, floor, usage, source. */
import { fmtMoney, fmtPct } from "../format.ts";
import type { Violation } from "../types.ts";

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
