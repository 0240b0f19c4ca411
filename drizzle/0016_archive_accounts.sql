-- Archive instead of cascade-delete (docs/api.md, "Deleting an account"; docs/security.md):
-- an account is never removed, `DELETE /v1/accounts/{id}` archives it (`status = 'deleted'`),
-- and a stray delete of an account row is refused while anything refers to it, instead of
-- taking its violations, evidence, audit, rules versions, adjustments, trades, readings and
-- enforcement actions with it.
ALTER TABLE "accounts" DROP CONSTRAINT "accounts_status_check";--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_status_check" CHECK ("accounts"."status" in ('active', 'breached', 'disabled', 'deleted'));--> statement-breakpoint
-- A deleted account frees its login on its server: the same account may be created again
-- (a new id, a fresh history); the archived one stays readable by its id.
DROP INDEX "accounts_login_server_key";--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_login_server_key" ON "accounts" USING btree ("login","server") WHERE "accounts"."status" <> 'deleted';--> statement-breakpoint
ALTER TABLE "violations" DROP CONSTRAINT "violations_account_id_accounts_id_fk";--> statement-breakpoint
ALTER TABLE "violations" ADD CONSTRAINT "violations_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_audit" DROP CONSTRAINT "account_audit_account_id_accounts_id_fk";--> statement-breakpoint
ALTER TABLE "account_audit" ADD CONSTRAINT "account_audit_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_rules" DROP CONSTRAINT "account_rules_account_id_accounts_id_fk";--> statement-breakpoint
ALTER TABLE "account_rules" ADD CONSTRAINT "account_rules_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_adjustments" DROP CONSTRAINT "account_adjustments_account_id_accounts_id_fk";--> statement-breakpoint
ALTER TABLE "account_adjustments" ADD CONSTRAINT "account_adjustments_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "readings" DROP CONSTRAINT "readings_account_id_accounts_id_fk";--> statement-breakpoint
ALTER TABLE "readings" ADD CONSTRAINT "readings_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trades" DROP CONSTRAINT "trades_account_id_accounts_id_fk";--> statement-breakpoint
ALTER TABLE "trades" ADD CONSTRAINT "trades_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trade_sync" DROP CONSTRAINT "trade_sync_account_id_accounts_id_fk";--> statement-breakpoint
ALTER TABLE "trade_sync" ADD CONSTRAINT "trade_sync_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_shares" DROP CONSTRAINT "account_shares_account_id_accounts_id_fk";--> statement-breakpoint
ALTER TABLE "account_shares" ADD CONSTRAINT "account_shares_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enforcement_actions" DROP CONSTRAINT "enforcement_actions_account_id_accounts_id_fk";--> statement-breakpoint
ALTER TABLE "enforcement_actions" ADD CONSTRAINT "enforcement_actions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
-- The audit is append-only: a row, once written, is never changed or removed.
CREATE FUNCTION "account_audit_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'account_audit is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
CREATE TRIGGER "account_audit_append_only" BEFORE UPDATE OR DELETE ON "account_audit" FOR EACH ROW EXECUTE FUNCTION "account_audit_append_only"();
