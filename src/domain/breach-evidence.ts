/**
 * Breach evidence, the pure part: masking secrets in a causing payload, and the evidence of a
 * violation from what the writer knows at breach time. The writer adds the readings before
 * the breach inside its transaction (write-changes.ts).
 */
import type { AccountMetrics } from "./metrics.ts";
import type {
  BreachCause,
  EvidenceFigures,
  EvidenceReading,
  ViolationEvidence,
} from "./evidence.ts";
import type { RuleParams } from "../risk/index.ts";
import { maskSecret } from "./redact.ts";

/** How many readings before a breach the evidence keeps. */
export const EVIDENCE_READINGS = 20;

/** Keys whose string values are secrets wherever they appear in a payload. */
const SECRET_KEY = /session|token|secret|password|authorization|api[_-]?key/i;

/** How deep {@link maskSecrets} walks; deeper parts are replaced by a marker. */
const MAX_DEPTH = 8;

/**
 * A copy of `value` with secrets masked: every string under a key that names a secret
 * (`session_id`, `token`, ...), and every occurrence of the given secret strings (an account's
 * session id inside a URL, say) anywhere in a string.
 */
export function maskSecrets(value: unknown, secrets: readonly string[] = [], depth = 0): unknown {
  const known = secrets.filter((s) => s.length > 0);
  const maskText = (text: string) =>
    known.reduce((t, s) => (t.includes(s) ? t.split(s).join(maskSecret(s)) : t), text);
  if (typeof value === "string") return maskText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[truncated]";
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, known, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      SECRET_KEY.test(k) && typeof v === "string"
        ? maskSecret(v)
        : maskSecrets(v, known, depth + 1);
  }
  return out;
}

/** The evidence figures of an account's metrics. */
export function evidenceFigures(m: AccountMetrics): EvidenceFigures {
  return {
    balance: m.balance,
    equity: m.equity,
    day_start: m.day_start,
    hwm: m.hwm,
    daily_floor: m.daily_floor,
    max_floor: m.max_floor,
    usage: { ...m.usage },
    trading_day: m.trading_day,
    at: m.updated_at,
  };
}

/** The evidence of a violation; `cause` is masked here once more, as a last line of defence. */
export function buildEvidence(input: {
  rules: RuleParams;
  rulesVersion: number | null;
  metrics: AccountMetrics;
  readingsBefore: EvidenceReading[];
  cause: BreachCause | null;
}): ViolationEvidence {
  return {
    rules_version: input.rulesVersion,
    rules: input.rules,
    figures: evidenceFigures(input.metrics),
    readings_before: input.readingsBefore.slice(0, EVIDENCE_READINGS),
    cause: input.cause ? (maskSecrets(input.cause) as BreachCause) : null,
  };
}

/**
 * The cause of a live reading for the evidence: the Events message as received (parsed JSON
 * or its text), with the account's session id and every secret-named field masked.
 * @param at when the message was received (ms since the epoch).
 */
export function eventCause(message: unknown, sessionId: string, at: number): BreachCause {
  return {
    kind: "event",
    event: maskSecrets(message, [sessionId]),
    received_at: new Date(at).toISOString(),
  };
}

/**
 * The cause of a polled reading for the evidence: the MTAPI AccountSummary answer, with the
 * session id masked in the request and anywhere in the answer.
 * @param at when the answer was received (ms since the epoch).
 */
export function restCause(sessionId: string, answer: unknown, at: number): BreachCause {
  return {
    kind: "rest",
    request: `GET /AccountSummary?id=${maskSecret(sessionId)}`,
    answer: maskSecrets(answer, [sessionId]),
    received_at: new Date(at).toISOString(),
  };
}
