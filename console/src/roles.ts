/** What each role may do (docs/api.md, "API keys and roles"); the console offers no more. */
import type { Role } from "./types.ts";

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Operator actions: reset, force/release live, poll now, adjustments, tests, retries. */
export const canOperate = (role: Role): boolean => RANK[role] >= RANK.operator;
/** Admin actions: keys, webhooks, account changes. */
export const canAdminister = (role: Role): boolean => RANK[role] >= RANK.admin;
