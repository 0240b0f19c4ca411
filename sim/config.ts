/**
 * The simulator's run-time configuration: the random walk and how events are framed.
 * Changed at run time by `POST /control/config` (snake_case on the wire).
 */
import { DEFAULT_MIX, type Mix } from "./events.ts";
import type { FramingConfig } from "./publisher.ts";

export interface SimConfig extends FramingConfig {
  /** Random-walk period, ms. */
  tickMs: number;
  /** Whether the random walk runs on its own every `tickMs`. */
  walk: boolean;
  /** Probability per tick and account that a trade closes (balance := equity). */
  tradeCloseProbability: number;
}

/** The wire form (`GET/POST /control/config`). */
export interface SimConfigJson {
  tick_ms: number;
  walk: boolean;
  mix: Mix;
  batch_probability: number;
  max_batch: number;
  binary_probability: number;
  trade_close_probability: number;
}

/** A change in wire form: fields not given are kept, `mix` merges by key. */
export type SimConfigPatch = Partial<Omit<SimConfigJson, "mix">> & {
  mix?: Partial<Mix> | undefined;
};

export const DEFAULT_CONFIG: SimConfig = {
  tickMs: 1000,
  walk: false,
  mix: DEFAULT_MIX,
  batchProbability: 0,
  maxBatch: 10,
  binaryProbability: 0,
  tradeCloseProbability: 0.02,
};

export function configToJson(c: SimConfig): SimConfigJson {
  return {
    tick_ms: c.tickMs,
    walk: c.walk,
    mix: { ...c.mix },
    batch_probability: c.batchProbability,
    max_batch: c.maxBatch,
    binary_probability: c.binaryProbability,
    trade_close_probability: c.tradeCloseProbability,
  };
}

/** Applies a wire-form change. */
export function applyConfigPatch(c: SimConfig, patch: SimConfigPatch): SimConfig {
  return {
    tickMs: patch.tick_ms ?? c.tickMs,
    walk: patch.walk ?? c.walk,
    mix: mergeMix(c.mix, patch.mix),
    batchProbability: patch.batch_probability ?? c.batchProbability,
    maxBatch: patch.max_batch ?? c.maxBatch,
    binaryProbability: patch.binary_probability ?? c.binaryProbability,
    tradeCloseProbability: patch.trade_close_probability ?? c.tradeCloseProbability,
  };
}

function mergeMix(mix: Mix, patch: Partial<Mix> | undefined): Mix {
  const next = { ...mix };
  for (const [k, v] of Object.entries(patch ?? {}) as [keyof Mix, number | undefined][]) {
    if (v !== undefined) next[k] = v;
  }
  return next;
}
