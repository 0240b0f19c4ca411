/**
 * Enforcement over the API (docs/enforcement.md, "API"): an account's actions with their
 * evidence, the account's own `enforcement` setting (admin), and the deployment's halt switch
 * (admin, with a reason, audited): a halt stops every step not yet sent and holds the
 * deployment at `dry_run` until resumed.
 */
import { z } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import { accountAudit, accounts, enforcementActions } from "../db/schema.ts";
import { actionEvidence } from "../domain/enforcement/evidence.ts";
import { ENFORCEMENT_MODES, effectiveMode, parseMode } from "../domain/enforcement/policy.ts";
import { readHalt, setHalt } from "../enforce/store.ts";
import { newApi } from "./api-env.ts";
import { apiRoute } from "./routes.ts";
import { notFound } from "./errors.ts";
import { IdParamSchema } from "./schemas.ts";

const tags = ["enforcement"];
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: "must not be empty" })
    .max(max)
    .regex(/^[^\u0000]*$/, { error: "must not contain NUL characters" });

const StepSchema = z.object({
  ticket: z.number().int(),
  action: z.enum(["close", "cancel"]),
  symbol: z.string(),
  state: z.string(),
  close_price: z.number().nullable(),
  close_time: z.string().nullable(),
  profit: z.number().nullable(),
  settled_by: z.string().nullable(),
  sends: z.number().int(),
  error: z.string().nullable(),
  at: z.string(),
});

const ActionSchema = z
  .object({
    id: z.number().int(),
    violation_id: z.number().int().nullable(),
    rule: z.string().nullable(),
    kind: z.enum(["close_all", "lock_guard"]),
    dry_run: z.boolean(),
    lock: z.boolean().openapi({
      description:
        "The consequence locks the account (close_all_and_lock). Recorded in a dry run too, where the account itself is never locked.",
    }),
    state: z.enum(["pending", "running", "done", "failed"]),
    positions_before: z.array(z.record(z.string(), z.unknown())),
    equity_before: z.number().nullable(),
    equity_after: z.number().nullable(),
    floor: z.number().nullable(),
    slippage: z.number().nullable().openapi({
      description: "Account currency: how far below the floor equity ended (0 at or above it).",
    }),
    failure: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    steps: z.array(StepSchema),
  })
  .openapi("EnforcementAction");

const AccountEnforcementSchema = z
  .object({
    account_id: z.number().int(),
    enforcement: z.enum(ENFORCEMENT_MODES),
    effective: z.enum(ENFORCEMENT_MODES),
    locked_at: z.string().nullable(),
    locked_until: z.string().nullable(),
    lock_rule: z.string().nullable(),
    actions: z.array(ActionSchema),
  })
  .openapi("AccountEnforcement");

const HaltSchema = z
  .object({
    deployment: z.enum(ENFORCEMENT_MODES),
    halted: z.boolean(),
    effective: z.enum(ENFORCEMENT_MODES),
    reason: z.string().nullable(),
    actor: z.string().nullable(),
    at: z.string().nullable(),
  })
  .openapi("EnforcementState");

const getAccount = apiRoute({
  role: "viewer",
  method: "get",
  path: "/accounts/{id}/enforcement",
  tags,
  summary: "An account's enforcement setting, lock and actions (newest first) with evidence",
  request: { params: IdParamSchema },
  responses: {
    200: {
      description: "Enforcement",
      content: { "application/json": { schema: AccountEnforcementSchema } },
    },
  },
  errors: [400, 404],
});

const setAccount = apiRoute({
  role: "admin",
  method: "patch",
  path: "/accounts/{id}/enforcement",
  tags,
  summary: "Set an account's enforcement: off (default), dry_run or on (admin, audited)",
  request: {
    params: IdParamSchema,
    body: {
      content: {
        "application/json": {
          schema: z
            .strictObject({ enforcement: z.enum(ENFORCEMENT_MODES), reason: text(500).optional() })
            .openapi("SetAccountEnforcement"),
        },
      },
      required: true,
    },
  },
  responses: {
    200: {
      description: "Enforcement",
      content: { "application/json": { schema: AccountEnforcementSchema } },
    },
  },
  errors: [400, 404, 415, 422],
});

const getState = apiRoute({
  role: "viewer",
  method: "get",
  path: "/enforcement",
  tags,
  summary: "The deployment's enforcement ceiling and the halt switch",
  responses: {
    200: { description: "State", content: { "application/json": { schema: HaltSchema } } },
  },
});

const ReasonBody = z.strictObject({ reason: text(500) }).openapi("EnforcementReason");

const halt = apiRoute({
  role: "admin",
  method: "post",
  path: "/enforcement/halt",
  tags,
  summary: "Halt enforcement: stop every step not yet sent; hold the deployment at dry_run",
  request: { body: { content: { "application/json": { schema: ReasonBody } }, required: true } },
  responses: {
    200: { description: "State", content: { "application/json": { schema: HaltSchema } } },
  },
  errors: [400, 415, 422],
});

const resume = apiRoute({
  role: "admin",
  method: "post",
  path: "/enforcement/resume",
  tags,
  summary: "Lift the halt",
  request: { body: { content: { "application/json": { schema: ReasonBody } }, required: true } },
  responses: {
    200: { description: "State", content: { "application/json": { schema: HaltSchema } } },
  },
  errors: [400, 415, 422],
});

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export const enforcementApi = newApi()
  .openapi(getAccount, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await accountEnforcement(c.var.db, id, c.env.ENFORCEMENT), 200);
  })
  .openapi(setAccount, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const { actor } = c.var.principal;
    await c.var.db.transaction(async (tx) => {
      const [prev] = await tx
        .select({ enforcement: accounts.enforcement })
        .from(accounts)
        .where(eq(accounts.id, id))
        .for("update");
      if (!prev) throw notFound("account", id);
      await tx
        .update(accounts)
        .set({ enforcement: body.enforcement, updatedAt: new Date() })
        .where(eq(accounts.id, id));
      await tx.insert(accountAudit).values({
        accountId: id,
        action: "account.enforcement_set",
        actor,
        source: "api",
        field: "enforcement",
        fromValue: prev.enforcement,
        toValue: body.enforcement,
        reason: body.reason ?? null,
      });
    });
    return c.json(await accountEnforcement(c.var.db, id, c.env.ENFORCEMENT), 200);
  })
  .openapi(getState, async (c) =>
    c.json(haltState(c.env.ENFORCEMENT, await readHalt(c.var.db)), 200),
  )
  .openapi(halt, async (c) => {
    const { reason } = c.req.valid("json");
    return c.json(
      await switchHalt(c.var.db, true, reason, c.var.principal.actor, c.env.ENFORCEMENT),
      200,
    );
  })
  .openapi(resume, async (c) => {
    const { reason } = c.req.valid("json");
    return c.json(
      await switchHalt(c.var.db, false, reason, c.var.principal.actor, c.env.ENFORCEMENT),
      200,
    );
  });

type Db = Parameters<typeof readHalt>[0];

function haltState(deployment: unknown, h: Awaited<ReturnType<typeof readHalt>>) {
  return {
    deployment: parseMode(deployment),
    halted: h.halted,
    effective: effectiveMode({ deployment, account: "on", halted: h.halted }),
    reason: h.reason,
    actor: h.actor,
    at: iso(h.at),
  };
}

async function switchHalt(
  db: Db,
  halted: boolean,
  reason: string,
  actor: string,
  deployment: unknown,
) {
  const before = await readHalt(db);
  const after = await setHalt(db, halted, reason, actor);
  await db.insert(accountAudit).values({
    accountId: null,
    action: halted ? "enforcement.halted" : "enforcement.resumed",
    actor,
    source: "api",
    field: "halted",
    fromValue: String(before.halted),
    toValue: String(halted),
    reason,
  });
  return haltState(deployment, after);
}

async function accountEnforcement(db: Db, id: number, deployment: unknown) {
  const [row] = await db
    .select({
      enforcement: accounts.enforcement,
      lockedAt: accounts.lockedAt,
      lockedUntil: accounts.lockedUntil,
      lockRule: accounts.lockRule,
    })
    .from(accounts)
    .where(eq(accounts.id, id));
  if (!row) throw notFound("account", id);
  const h = await readHalt(db);
  const actions = await db
    .select()
    .from(enforcementActions)
    .where(eq(enforcementActions.accountId, id))
    .orderBy(desc(enforcementActions.id))
    .limit(100);
  return {
    account_id: id,
    enforcement: row.enforcement,
    effective: effectiveMode({ deployment, account: row.enforcement, halted: h.halted }),
    locked_at: iso(row.lockedAt),
    locked_until: iso(row.lockedUntil),
    lock_rule: row.lockRule,
    actions: actions.map((a) => {
      const ev = actionEvidence(a.machine, a.floor);
      return {
        id: a.id,
        violation_id: a.violationId,
        rule: a.rule,
        lock: a.lock,
        ...ev,
        positions_before: ev.positions_before.map((o) => ({ ...o })),
        floor: a.floor,
      };
    }),
  };
}
