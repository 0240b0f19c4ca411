/** The equity curve of a period (day, week, all) with its floors and violations. */
import { EquityChart } from "../../components/equity-chart.tsx";
import type { EquityPoint, Violation } from "../../types.ts";

/** The periods the chart shows, as spans back from now (ms; null: everything). */
export const PERIODS = { day: 86_400_000, week: 7 * 86_400_000, all: null } as const;
export type Period = keyof typeof PERIODS;

export function EquitySection(props: {
  period: Period;
  onPeriod: (p: Period) => void;
  points: EquityPoint[] | null;
  violations: Violation[];
}) {
  const { period, onPeriod, points, violations } = props;
  return (
    <>
      <div class="toolbar">
        <h2>Equity</h2>
        <div role="tablist" aria-label="Period" class="tabs">
          {(Object.keys(PERIODS) as Period[]).map((p) => (
            <button
              type="button"
              role="tab"
              aria-selected={p === period}
              onClick={() => onPeriod(p)}
            >
              {p}
            </button>
          ))}
        </div>
        <span class="muted">{points ? `${points.length} readings` : "loading"}</span>
      </div>
      {points && points.length > 0 ? (
        <EquityChart points={points} violations={violations} />
      ) : (
        <p class="muted chart-empty">
          {points ? "No readings in this period." : "Loading chart..."}
        </p>
      )}
    </>
  );
}
