ALTER TABLE "violations" ADD COLUMN "severity" text DEFAULT 'hard' NOT NULL;--> statement-breakpoint
ALTER TABLE "violations" ADD COLUMN "ticket" bigint;--> statement-breakpoint
ALTER TABLE "violations" ADD CONSTRAINT "violations_severity_check" CHECK ("violations"."severity" in ('hard', 'soft'));--> statement-breakpoint
CREATE INDEX "violations_severity_detected_idx" ON "violations" USING btree ("severity","detected_at","id");--> statement-breakpoint
CREATE INDEX "violations_account_ticket_idx" ON "violations" USING btree ("account_id","ticket") WHERE "violations"."ticket" is not null;--> statement-breakpoint
CREATE TABLE "trades" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "trades_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" integer NOT NULL,
	"ticket" bigint NOT NULL,
	"symbol" text NOT NULL,
	"order_type" text NOT NULL,
	"kind" text NOT NULL,
	"state" text NOT NULL,
	"lots" double precision NOT NULL,
	"open_time" timestamp with time zone NOT NULL,
	"open_price" double precision,
	"close_time" timestamp with time zone,
	"close_price" double precision,
	"stop_loss" double precision DEFAULT 0 NOT NULL,
	"take_profit" double precision DEFAULT 0 NOT NULL,
	"profit" double precision DEFAULT 0 NOT NULL,
	"swap" double precision DEFAULT 0 NOT NULL,
	"commission" double precision DEFAULT 0 NOT NULL,
	"stop_loss_seen_at" timestamp with time zone,
	"source" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "trades_kind_check" CHECK ("trades"."kind" in ('position', 'pending', 'balance')),
	CONSTRAINT "trades_state_check" CHECK ("trades"."state" in ('open', 'closed', 'vanished'))
);
--> statement-breakpoint
ALTER TABLE "trades" ADD CONSTRAINT "trades_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "trades_account_ticket_open_key" ON "trades" USING btree ("account_id","ticket","open_time");--> statement-breakpoint
CREATE INDEX "trades_account_state_open_idx" ON "trades" USING btree ("account_id","state","open_time","id");--> statement-breakpoint
CREATE INDEX "trades_close_time_idx" ON "trades" USING btree ("close_time");--> statement-breakpoint
CREATE TABLE "trade_sync" (
	"account_id" integer PRIMARY KEY NOT NULL,
	"history_to" timestamp with time zone,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "trade_sync" ADD CONSTRAINT "trade_sync_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE TABLE "calendar_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "calendar_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone NOT NULL,
	"currency" text NOT NULL,
	"impact" text NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calendar_events_impact_check" CHECK ("calendar_events"."impact" in ('low', 'medium', 'high'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "calendar_events_at_currency_title_key" ON "calendar_events" USING btree ("at","currency","title");--> statement-breakpoint
CREATE TABLE "calendar_symbols" (
	"symbol" text PRIMARY KEY NOT NULL,
	"currencies" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
