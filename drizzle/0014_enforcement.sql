ALTER TABLE "accounts" ADD COLUMN "enforcement" text DEFAULT 'off' NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "locked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "locked_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "lock_rule" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_enforcement_check" CHECK ("accounts"."enforcement" in ('off', 'dry_run', 'on'));--> statement-breakpoint
CREATE TABLE "enforcement_actions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "enforcement_actions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" integer NOT NULL,
	"violation_id" integer,
	"kind" text NOT NULL,
	"rule" text,
	"lock" boolean DEFAULT false NOT NULL,
	"dry_run" boolean NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"machine" jsonb NOT NULL,
	"floor" double precision,
	"failure" text,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"resume_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "enforcement_actions_kind_check" CHECK ("enforcement_actions"."kind" in ('close_all', 'lock_guard')),
	CONSTRAINT "enforcement_actions_state_check" CHECK ("enforcement_actions"."state" in ('pending', 'running', 'done', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "enforcement_steps" (
	"action_id" bigint NOT NULL,
	"ticket" bigint NOT NULL,
	"action" text NOT NULL,
	"symbol" text,
	"state" text NOT NULL,
	"sends" integer DEFAULT 0 NOT NULL,
	"close_price" double precision,
	"close_time" text,
	"profit" double precision,
	"settled_by" text,
	"error" text,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "enforcement_steps_action_id_ticket_pk" PRIMARY KEY("action_id","ticket")
);
--> statement-breakpoint
CREATE TABLE "enforcement_halt" (
	"id" integer PRIMARY KEY NOT NULL,
	"halted" boolean DEFAULT false NOT NULL,
	"reason" text,
	"actor" text,
	"at" timestamp with time zone,
	CONSTRAINT "enforcement_halt_singleton_check" CHECK ("enforcement_halt"."id" = 1)
);
--> statement-breakpoint
INSERT INTO "enforcement_halt" ("id", "halted") VALUES (1, false);--> statement-breakpoint
ALTER TABLE "enforcement_actions" ADD CONSTRAINT "enforcement_actions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enforcement_actions" ADD CONSTRAINT "enforcement_actions_violation_id_violations_id_fk" FOREIGN KEY ("violation_id") REFERENCES "public"."violations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enforcement_steps" ADD CONSTRAINT "enforcement_steps_action_id_enforcement_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."enforcement_actions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "enforcement_actions_violation_key" ON "enforcement_actions" USING btree ("violation_id") WHERE "enforcement_actions"."violation_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "enforcement_actions_open_guard_key" ON "enforcement_actions" USING btree ("account_id") WHERE "enforcement_actions"."kind" = 'lock_guard' and "enforcement_actions"."state" in ('pending', 'running');--> statement-breakpoint
CREATE INDEX "enforcement_actions_due_idx" ON "enforcement_actions" USING btree ("resume_at") WHERE "enforcement_actions"."state" in ('pending', 'running');--> statement-breakpoint
CREATE INDEX "enforcement_actions_account_idx" ON "enforcement_actions" USING btree ("account_id","id");
