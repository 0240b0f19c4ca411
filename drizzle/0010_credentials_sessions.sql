ALTER TABLE "accounts" ADD COLUMN "credentials_sealed" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "credentials_kind" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "credentials_set_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "credentials_last_login_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "credentials_status" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "session_renew_after" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "session_renew_failures" integer DEFAULT 0 NOT NULL;
