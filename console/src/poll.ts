/**
 * `usePoll`: loads data now and again every `everyMs` after each answer (never two requests
 * in flight), keeping the last good value and the time of the last success, so a view can
 * say when it is stale instead of silently showing old figures.
 */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";

export interface Polled<T> {
  data: T | null;
  error: Error | null;
  /** Epoch ms of the last successful load, or null. */
  at: number | null;
  /** Loads again now. */
  reload: () => void;
}

export function usePoll<T>(
  load: () => Promise<T>,
  everyMs: number | null,
  deps: unknown[],
): Polled<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; at: number | null }>({
    data: null,
    error: null,
    at: null,
  });
  const kick = useRef<() => void>(() => {});
  // A layout effect: the first request leaves right after the render, not after a paint.
  useLayoutEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    const run = async () => {
      if (stopped || running) return;
      running = true;
      clearTimeout(timer);
      try {
        const data = await load();
        if (!stopped) setState({ data, error: null, at: Date.now() });
      } catch (err) {
        if (!stopped)
          setState((s) => ({ ...s, error: err instanceof Error ? err : new Error(String(err)) }));
      } finally {
        running = false;
        if (!stopped && everyMs !== null) timer = setTimeout(run, everyMs);
      }
    };
    kick.current = () => void run();
    setState({ data: null, error: null, at: null });
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { ...state, reload: () => kick.current() };
}

/** The current time, ticking every `everyMs` (for ages such as "4s ago"). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
