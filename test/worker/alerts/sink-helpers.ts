/** Helpers for the webhook tests: the loopback receiver of the global setup, and endpoints. */
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { expect } from "vitest";
import type { AlertQueueMessage } from "../../../src/alerts/queue-message.ts";
import { webhookEndpoints, webhookMessages } from "../../../src/db/schema.ts";
import { api } from "../api/helpers.ts";
import { withTestDb } from "../helpers.ts";

/** The receiver's base URL: a test-only binding set in vitest.config.ts. */
export const SINK_URL = (env as Env & { SINK_URL: string }).SINK_URL;

/** A delivery as the receiver recorded it (dev/webhook-sink.ts). */
export interface Received {
  hook: string;
  at: number;
  headers: Record<string, string>;
  body: string;
  verified: boolean | null;
  answered: number | null;
}

/** A hook name no other test uses. */
export function newHook(): string {
  return `h-${crypto.randomUUID().slice(0, 12)}`;
}

export function hookUrl(name: string): string {
  return `${SINK_URL}/hooks/${name}`;
}

/** Sets the answers of a hook (`script` first, then `then`) and the secret it verifies with. */
export async function configureHook(
  name: string,
  cfg: { secret?: string; script?: Array<number | "hang">; then?: number | "hang" },
): Promise<void> {
  const res = await fetch(`${SINK_URL}/control/hooks/${name}`, {
    method: "PUT",
    body: JSON.stringify(cfg),
  });
  expect(res.status).toBe(200);
}

export async function receivedBy(name: string): Promise<Received[]> {
  const res = await fetch(`${SINK_URL}/control/hooks/${name}/received`);
  return (await res.json()) as Received[];
}

/** Registers an endpoint for a fresh hook through the API; returns its id, secret and hook. */
export async function registerHook(
  body: Record<string, unknown> = {},
): Promise<{ id: number; secret: string; hook: string }> {
  const hook = newHook();
  const res = await api("POST", "/v1/webhooks", {
    json: { url: hookUrl(hook), events: ["*"], ...body },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id, secret: res.body.secret, hook };
}

/** Deletes every endpoint, so that later tests' events go nowhere. */
export async function deleteAllEndpoints(): Promise<void> {
  await withTestDb((db) => db.delete(webhookEndpoints));
}

/** The outbox messages about account `accountId`, oldest first. */
export async function messagesAbout(accountId: number) {
  return withTestDb((db) =>
    db
      .select()
      .from(webhookMessages)
      .where(sql`(${webhookMessages.payload} -> 'data' -> 'account' ->> 'id')::int = ${accountId}`)
      .orderBy(webhookMessages.createdAt),
  );
}

export async function endpointRow(id: number) {
  const [row] = await withTestDb((db) =>
    db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)),
  );
  return row;
}

/** A queue that records what is sent to it instead of delivering it. */
export function recordingQueue(): Queue<AlertQueueMessage> & { sent: AlertQueueMessage[] } {
  const sent: AlertQueueMessage[] = [];
  return {
    sent,
    async send(body: AlertQueueMessage) {
      sent.push(body);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<AlertQueueMessage>>) {
      for (const m of messages) sent.push(m.body);
    },
    async metrics() {
      return { backlogCount: 0, backlogBytes: 0 };
    },
  } as unknown as Queue<AlertQueueMessage> & { sent: AlertQueueMessage[] };
}
