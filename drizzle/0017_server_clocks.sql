CREATE TABLE "server_clocks" (
	"server" text PRIMARY KEY NOT NULL,
	"offset_minutes" integer NOT NULL,
	"learnt_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "server_clocks_offset_check" CHECK ("server_clocks"."offset_minutes" between -1440 and 1440)
);
--> statement-breakpoint
CREATE TABLE "adjustment_proposals" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "adjustment_proposals_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" integer NOT NULL,
	"ticket" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"order_type" text NOT NULL,
	"amount" double precision NOT NULL,
	"state" text DEFAULT 'proposed' NOT NULL,
	"adjustment_id" bigint,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "adjustment_proposals_state_check" CHECK ("adjustment_proposals"."state" in ('proposed', 'confirmed', 'dismissed'))
);
--> statement-breakpoint
ALTER TABLE "adjustment_proposals" ADD CONSTRAINT "adjustment_proposals_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "adjustment_proposals_account_ticket_at_key" ON "adjustment_proposals" USING btree ("account_id","ticket","at");--> statement-breakpoint
CREATE INDEX "adjustment_proposals_state_idx" ON "adjustment_proposals" USING btree ("state","account_id","id");--> statement-breakpoint
ALTER TABLE "trade_sync" ADD COLUMN "trade_days" jsonb DEFAULT '[]'::jsonb NOT NULL;
