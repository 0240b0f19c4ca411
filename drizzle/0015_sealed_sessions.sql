-- Session tokens and webhook URLs sealed at rest (docs/security.md, "Secrets at rest").
-- SQL cannot seal with a Worker secret: existing rows keep their clear values (the app opens
-- a clear value as it is) until `npm run secrets:reseal` seals them; new writes are sealed.
ALTER TABLE "accounts" ADD COLUMN "session_hash" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "session_mask" text;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "url_mask" text;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_active_session_hash_key" ON "accounts" USING btree ("session_hash") WHERE "accounts"."status" = 'active';--> statement-breakpoint
DROP INDEX IF EXISTS "accounts_active_session_key";--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_active_session_key" ON "accounts" USING btree ("session_id") WHERE "accounts"."status" = 'active' and "accounts"."session_hash" is null;
