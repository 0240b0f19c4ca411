-- Trust (docs/security.md): console sessions ended on the server at sign-out.
CREATE TABLE "console_session_revocations" (
	"id" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "console_session_revocations_expires_idx" ON "console_session_revocations" USING btree ("expires_at");
--> statement-breakpoint
-- Reset epochs: each reset opens a new epoch; a breach after it is a violation of its own.
ALTER TABLE "accounts" ADD COLUMN "reset_epoch" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "reset_at" timestamp with time zone;
--> statement-breakpoint
ALTER TABLE "violations" ADD COLUMN "reset_epoch" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
DROP INDEX "violations_account_rule_period_key";
--> statement-breakpoint
CREATE UNIQUE INDEX "violations_account_rule_period_epoch_key" ON "violations" USING btree ("account_id","rule","period","reset_epoch");
--> statement-breakpoint
-- Secret rotation with an overlap: the old secret keeps signing beside the new one for 24 h.
ALTER TABLE "webhook_endpoints" ADD COLUMN "previous_secret" text;
--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "previous_secret_until" timestamp with time zone;
