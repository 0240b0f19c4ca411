/** zod schemas of the control API's request bodies. */
import { z } from "zod";
import { SHAPES } from "./events.ts";

const money = z.number();
const probability = z.number().min(0).max(1);
const weight = z.number().min(0);

/** An account as posted to `/control/accounts`; unknown keys (e.g. `profile`) are ignored. */
export const accountInput = z.object({
  session_id: z.string().min(1),
  login: z.union([z.string().min(1), z.number().int()]),
  server: z.string(),
  balance: money,
  equity: money.optional(),
  credit: money.optional(),
  margin: money.optional(),
  leverage: z.number().positive().optional(),
  currency: z.string().optional(),
  account_id: z.number().int().nullable().optional(),
  drift: z.number().optional(),
  volatility: z.number().min(0).optional(),
  walk: z.boolean().optional(),
  pascal: z.boolean().optional(),
  string_numbers: z.boolean().optional(),
  expired: z.boolean().optional(),
  expired_status: z.number().int().min(100).max(599).optional(),
  expired_body: z.string().nullable().optional(),
  delay_ms: z.number().min(0).optional(),
  synced: z.boolean().optional(),
  unsynced_after_connect: z.number().int().min(0).optional(),
  is_investor: z.boolean().optional(),
  password: z.string().nullable().optional(),
  error_code: z.string().min(1).nullable().optional(),
  token_idle_ms: z.number().min(0).optional(),
  connect_by_token: z.boolean().optional(),
  server_time_offset_min: z.number().int().min(-1440).max(1440).nullable().optional(),
});

/** One account, an array of them, or `{ accounts: [...] }`. */
export const accountsBody = z.union([
  accountInput,
  z.array(accountInput),
  z.object({ accounts: z.array(accountInput) }),
]);

export const accountPatch = accountInput
  .omit({ session_id: true })
  .partial()
  .extend({
    /** Send the figures to the account's subscribers (default: when a figure is given). */
    emit: z.boolean().optional(),
    /** Shape of that event (default `full`). */
    shape: z.enum(SHAPES).optional(),
  });

export const emitBody = z.strictObject({
  frame: z.unknown().refine((v) => v !== undefined, "frame is required"),
  binary: z.boolean().optional(),
  session_id: z.string().optional(),
});

export const dropBody = z.strictObject({
  session_id: z.string().optional(),
  code: z.number().int().min(1000).max(4999).optional(),
  reason: z.string().optional(),
});

export const refuseBody = z.strictObject({ seconds: z.number().min(0) });

export const delayBody = z.strictObject({ ms: z.number().min(0) });

const counts = z.record(z.string(), z.number().int().min(0));

export const waitBody = z.strictObject({
  until: z.strictObject({
    connections: z.number().int().min(0).optional(),
    total_connections_at_least: z.number().int().min(0).optional(),
    subscriptions: z.number().int().min(0).optional(),
    subscribed: z.array(z.string()).optional(),
    unsubscribed: z.array(z.string()).optional(),
    subscribe_count_at_least: counts.optional(),
    reads_at_least: counts.optional(),
    events_sent_at_least: z.number().int().min(0).optional(),
  }),
  timeout_ms: z.number().min(0).max(600_000).default(5000),
});

export const configBody = z.strictObject({
  tick_ms: z.number().min(10).optional(),
  walk: z.boolean().optional(),
  mix: z
    .strictObject({
      full: weight.optional(),
      pascal_id: weight.optional(),
      account_id: weight.optional(),
      string_equity: weight.optional(),
      login_server: weight.optional(),
      non_equity: weight.optional(),
    })
    .optional(),
  batch_probability: probability.optional(),
  max_batch: z.number().int().min(1).optional(),
  binary_probability: probability.optional(),
  trade_close_probability: probability.optional(),
});

export const tickBody = z.strictObject({ count: z.number().int().min(1).max(100_000).default(1) });

export const floodBody = z.strictObject({
  events_per_frame: z.number().int().min(1).max(10_000).default(1),
  duration_ms: z.number().int().min(1).max(600_000),
  session_ids: z.array(z.string()).optional(),
  rate: z.number().positive().optional(),
  shape: z.enum(SHAPES).optional(),
  binary: z.boolean().optional(),
});
