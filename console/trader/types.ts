/** The shapes of the shared (trader) API answers (docs/trader-page.md). */

export type RuleName = "daily_loss" | "max_loss";

export interface FloorView {
  rule: RuleName;
  floor: number;
  distance: number;
  usage: number;
  text: string;
}

export interface SharedViolation {
  id: number;
  rule: RuleName;
  period: string;
  equity: number;
  floor: number;
  usage: number;
  source: string;
  detected_at: string;
}

export interface ObjectivesProgress {
  profit_target: { target: number; profit: number; on: string; reached: boolean } | null;
  trading_days: { counted: number; required: number; reached: boolean } | null;
  consistency: { best_day: number; best_day_share: number; limit: number; ok: boolean } | null;
  met: boolean;
  met_at: string | null;
}

export interface SharedAccount {
  account: {
    label: string | null;
    login: string;
    server: string;
    status: string;
    currency_digits: number;
    initial_balance: number;
  };
  metrics: {
    balance: number;
    equity: number;
    day_start: number;
    hwm: number;
    daily_floor: number;
    max_floor: number;
    usage: { daily: number; max: number; overall: number };
    trading_day: string;
    updated_at: string;
  } | null;
  floors: FloorView[];
  next_reset: { at: string; in_s: number; firm_timezone: string; trading_day: string };
  objectives: ObjectivesProgress | null;
  violations: SharedViolation[];
  link: { expires_at: string };
  server_time: string;
}

export interface SharedPoint {
  at: string;
  equity: number;
  balance: number;
  daily_floor: number;
  max_floor: number;
}

export interface FloorStep {
  step: string;
  value: number | null;
  text: string;
}

export interface BreachReport {
  violation: SharedViolation & { rules_version: number | null };
  rule_text: string;
  reading: {
    at: string;
    equity: number;
    balance: number | null;
    source: string;
    source_text: string;
    received_at: string | null;
  };
  trading_day: { day: string; starts_at: string; ends_at: string; timezone: string } | null;
  floor: {
    value: number;
    reference: number | null;
    allowance: number | null;
    currency_digits: number;
    breach_at: string;
    steps: FloorStep[];
    rules_version: number | null;
    parameters: Record<string, unknown>;
  };
  equity: Array<{ at: string; equity: number; balance: number; source: string }>;
  check: {
    replayed: boolean;
    engine_floor: number | null;
    computed_floor: number | null;
    recorded_floor: number;
    agrees: boolean;
    notes: string[];
  };
}
