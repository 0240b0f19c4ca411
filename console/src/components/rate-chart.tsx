/** A small uPlot line of a shard's events per second over the last 15 minutes. */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { cssVar } from "./theme.ts";

export function RateChart({ xs, ys }: { xs: number[]; ys: number[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current!;
    const axis = {
      stroke: cssVar("--fg-muted", "#666"),
      grid: { stroke: cssVar("--grid", "#e5e5e5"), width: 1 },
      size: 40,
    };
    plot.current = new uPlot(
      {
        width: 360,
        height: 120,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          // Always the last 15 minutes, however few samples there are yet.
          x: { time: true, range: (_u, _min, max) => [max - 900, max] },
          y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        },
        axes: [axis, { ...axis, size: 50 }],
        series: [
          {},
          {
            label: "events/s",
            stroke: cssVar("--c-equity", "#2563eb"),
            width: 1.5,
            fill: cssVar("--c-fill", "rgba(37,99,235,0.1)"),
          },
        ],
      },
      [xs, ys],
      el,
    );
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => plot.current?.setData([xs, ys]), [xs, ys]);
  return (
    <div class="rate-chart" ref={box} role="img" aria-label="Events per second, last 15 minutes" />
  );
}
