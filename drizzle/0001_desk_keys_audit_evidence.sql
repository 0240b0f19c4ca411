CREATE TABLE "account_rules" (
	"account_id" integer NOT NULL,
	"version" integer NOT NULL,
	"rules" jsonb NOT NULL,
	"preset" text,
	"effective_from" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text,
	"reason" text,
	CONSTRAINT "account_rules_account_id_version_pk" PRIMARY KEY("account_id","version")
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "api_keys_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"role" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_role_check" CHECK ("api_keys"."role" in ('viewer', 'operator', 'admin'))
);
--> statement-breakpoint
ALTER TABLE "account_audit" ALTER COLUMN "account_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "account_audit" ALTER COLUMN "field" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "account_audit" ALTER COLUMN "to_value" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "account_audit" ALTER COLUMN "reason" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "account_audit" ADD COLUMN "action" text;--> statement-breakpoint
ALTER TABLE "account_audit" ADD COLUMN "actor" text;--> statement-breakpoint
ALTER TABLE "account_audit" ADD COLUMN "before" jsonb;--> statement-breakpoint
ALTER TABLE "account_audit" ADD COLUMN "after" jsonb;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "rules_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "violations" ADD COLUMN "rules_version" integer;--> statement-breakpoint
ALTER TABLE "violations" ADD COLUMN "evidence" jsonb;--> statement-breakpoint
ALTER TABLE "account_rules" ADD CONSTRAINT "account_rules_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys" USING btree ("hash");--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_active_name_key" ON "api_keys" USING btree ("name") WHERE "api_keys"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX "account_audit_actor_idx" ON "account_audit" USING btree ("actor","id");--> statement-breakpoint
CREATE INDEX "account_audit_action_idx" ON "account_audit" USING btree ("action","id");--> statement-breakpoint
CREATE INDEX "readings_at_idx" ON "readings" USING btree ("at");