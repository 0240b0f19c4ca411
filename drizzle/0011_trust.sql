-- Trust (docs/security.md): console sessions ended on the server at sign-out.
CREATE TABLE "console_session_revocations" (
	"id" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "console_session_revocations_expires_idx" ON "console_session_revocations" USING btree ("expires_at");
