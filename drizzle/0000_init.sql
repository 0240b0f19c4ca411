CREATE TABLE "account_audit" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "account_audit_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" integer NOT NULL,
	"field" text NOT NULL,
	"from_value" text,
	"to_value" text NOT NULL,
	"reason" text NOT NULL,
	"source" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "accounts" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "accounts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"login" text NOT NULL,
	"server" text NOT NULL,
	"session_id" text NOT NULL,
	"label" text,
	"status" text DEFAULT 'active' NOT NULL,
	"monitoring_state" text DEFAULT 'polling' NOT NULL,
	"preset" text,
	"rules" jsonb NOT NULL,
	"risk_state" jsonb,
	"metrics" jsonb,
	"problem" text,
	"problem_since" timestamp with time zone,
	"state_version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_status_check" CHECK ("accounts"."status" in ('active', 'breached', 'disabled')),
	CONSTRAINT "accounts_monitoring_check" CHECK ("accounts"."monitoring_state" in ('polling', 'live'))
);
--> statement-breakpoint
CREATE TABLE "readings" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "readings_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"balance" double precision NOT NULL,
	"equity" double precision NOT NULL,
	"usage" double precision NOT NULL,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "violations" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "violations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"account_id" integer NOT NULL,
	"rule" text NOT NULL,
	"period" text NOT NULL,
	"equity" double precision NOT NULL,
	"floor" double precision NOT NULL,
	"usage" double precision NOT NULL,
	"source" text NOT NULL,
	"detected_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "account_audit" ADD CONSTRAINT "account_audit_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "readings" ADD CONSTRAINT "readings_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "violations" ADD CONSTRAINT "violations_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_audit_account_idx" ON "account_audit" USING btree ("account_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_login_server_key" ON "accounts" USING btree ("login","server");--> statement-breakpoint
CREATE INDEX "accounts_status_monitoring_idx" ON "accounts" USING btree ("status","monitoring_state","id");--> statement-breakpoint
CREATE INDEX "readings_account_at_idx" ON "readings" USING btree ("account_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "violations_account_rule_period_key" ON "violations" USING btree ("account_id","rule","period");--> statement-breakpoint
CREATE INDEX "violations_detected_idx" ON "violations" USING btree ("detected_at","id");