/**
 * Broker server time to UTC (docs/trades.md, "Broker time"). Order times arrive in the broker
 * server's wall clock with no zone; a per-server offset turns them into UTC. The offset comes
 * from one interface: the live monitor's learnt offset before the configured one.
 */

/** Where a server's offset comes from: minutes to add to UTC to get the server's clock. */
export interface BrokerClock {
  offsetMinutes(server: string): number;
}

/**
 * The precedence of docs/trades.md, "Broker time": the offset the live monitor learnt for the
 * server (`learnt`, minutes by server, as stored in `server_clocks`) first, else `fallback`
 * (the configured `BROKER_UTC_OFFSETS`: the server's own, then `*`, then 0). An entry that
 * is not whole minutes within ±14 h is not taken.
 */
export function learntClock(
  learnt: Readonly<Record<string, number>>,
  fallback: BrokerClock,
): BrokerClock {
  return {
    offsetMinutes: (server) => {
      const m = Object.hasOwn(learnt, server) ? learnt[server] : undefined;
      return m !== undefined && Number.isInteger(m) && Math.abs(m) <= 14 * 60
        ? m
        : fallback.offsetMinutes(server);
    },
  };
}

/** Offsets configured per server (`BROKER_UTC_OFFSETS`), 0 for any other server. */
export function configuredClock(offsets: Readonly<Record<string, number>>): BrokerClock {
  // Own keys only: a server named `toString` is not Object.prototype's.
  const own = (key: string) => (Object.hasOwn(offsets, key) ? offsets[key] : undefined);
  return { offsetMinutes: (server) => own(server) ?? own("*") ?? 0 };
}

/**
 * `BROKER_UTC_OFFSETS`: a JSON object of server name (or `*`) to whole minutes within
 * [-14 h, +14 h]. Anything else is ignored entry by entry, and reported.
 */
export function parseOffsets(text: string | undefined): {
  offsets: Record<string, number>;
  errors: string[];
} {
  const offsets: Record<string, number> = {};
  const errors: string[] = [];
  if (text === undefined || text.trim() === "") return { offsets, errors };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { offsets, errors: ["BROKER_UTC_OFFSETS is not JSON"] };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { offsets, errors: ["BROKER_UTC_OFFSETS must be an object of server -> minutes"] };
  }
  for (const [server, minutes] of Object.entries(value)) {
    if (typeof minutes === "number" && Number.isInteger(minutes) && Math.abs(minutes) <= 14 * 60) {
      offsets[server] = minutes;
    } else errors.push(`BROKER_UTC_OFFSETS.${server}: must be whole minutes within ±840`);
  }
  return { offsets, errors };
}

const ZONED = /(Z|[+-]\d\d:?\d\d)$/i;
const BROKER_DOTS = /^(\d{4})\.(\d\d)\.(\d\d)[ T](\d\d:\d\d(?::\d\d(?:\.\d+)?)?)$/;

/**
 * Epoch ms (UTC) of an order time: a string with a zone is read as is; one without (the
 * bridge's `2026-12-04T09:15:02.117`, or MetaTrader's `2026.12.04 09:15:02`) is broker time,
 * less `offsetMinutes`; a number is epoch s/ms by magnitude (already UTC). `null` for an
 * empty or unreadable value, and for MetaTrader's "no time" (`0001-01-01`, `1970-01-01`).
 */
export function orderTimeMs(value: unknown, offsetMinutes: number): number | null {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value <= 0) return null;
    return value < 1e11 ? value * 1000 : value;
  }
  if (typeof value !== "string") return null;
  let text = value.trim();
  if (text === "") return null;
  const dots = BROKER_DOTS.exec(text);
  if (dots !== null) text = `${dots[1]}-${dots[2]}-${dots[3]}T${dots[4]}`;
  if (ZONED.test(text)) {
    const ms = Date.parse(text);
    return Number.isFinite(ms) && ms > 86_400_000 ? ms : null;
  }
  if (!/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?$/.test(text)) return null;
  const wall = Date.parse(`${text.replace(" ", "T")}${text.length === 10 ? "T00:00:00" : ""}Z`);
  if (!Number.isFinite(wall) || wall <= 86_400_000) return null;
  return wall - offsetMinutes * 60_000;
}
