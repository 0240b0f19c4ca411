/**
 * The account's equity curve (uPlot) with balance, the daily and max floors as step lines over
 * time, and violations marked as points on the equity line at the time they were detected.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import type { EquityPoint, Violation } from "../types.ts";
import { cssVar, onSchemeChange } from "./theme.ts";

/** The chart's columns: x (epoch s), equity, balance, daily floor, max floor, violations. */
export function chartData(
  points: readonly EquityPoint[],
  violations: readonly Violation[],
): uPlot.AlignedData {
  const xs = points.map((p) => Date.parse(p.at) / 1000);
  const marks: Array<number | null> = points.map(() => null);
  for (const v of violations) {
    const t = Date.parse(v.detected_at) / 1000;
    if (xs.length === 0 || t < xs[0]! - 60 || t > xs[xs.length - 1]! + 60) continue;
    // The reading nearest the detection.
    let best = 0;
    for (let i = 1; i < xs.length; i++)
      if (Math.abs(xs[i]! - t) < Math.abs(xs[best]! - t)) best = i;
    marks[best] = points[best]!.equity;
  }
  return [
    xs,
    points.map((p) => p.equity),
    points.map((p) => p.balance),
    points.map((p) => p.daily_floor ?? null),
    points.map((p) => p.max_floor ?? null),
    marks,
  ];
}

function options(width: number): uPlot.Options {
  const fg = cssVar("--fg-muted", "#666");
  const grid = cssVar("--grid", "#e5e5e5");
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
  return {
    width,
    height: 320,
    legend: { show: true },
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true } },
    axes: [axis, { ...axis, size: 80 }],
    series: [
      {},
      { label: "Equity", stroke: cssVar("--c-equity", "#2563eb"), width: 2 },
      { label: "Balance", stroke: cssVar("--c-balance", "#64748b"), width: 1, dash: [4, 4] },
      {
        label: "Daily floor",
        stroke: cssVar("--c-daily", "#d97706"),
        width: 2,
        paths: uPlot.paths.stepped!({ align: 1 }),
      },
      {
        label: "Max floor",
        stroke: cssVar("--c-max", "#dc2626"),
        width: 2,
        paths: uPlot.paths.stepped!({ align: 1 }),
      },
      {
        label: "Violation",
        stroke: cssVar("--c-max", "#dc2626"),
        width: 0,
        paths: () => null,
        points: { show: true, size: 10, fill: cssVar("--c-max", "#dc2626") },
      },
    ],
  };
}

export function EquityChart({
  points,
  violations,
}: {
  points: EquityPoint[];
  violations: Violation[];
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = chartData(points, violations);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const make = () => {
      plot.current?.destroy();
      plot.current = new uPlot(options(Math.max(300, el.clientWidth)), data, el);
    };
    make();
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(300, el.clientWidth), height: 320 }),
    );
    resize.observe(el);
    const off = onSchemeChange(make);
    return () => {
      off();
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt on scheme change only; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  }, [points, violations]);

  return <div class="chart" ref={box} role="img" aria-label="Equity with daily and max floors" />;
}
