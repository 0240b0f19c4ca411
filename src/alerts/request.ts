/**
 * The HTTP request one delivery sends (docs/alerts.md, "Delivery"). Pure.
 *
 * `standard`: the JSON body `{type, timestamp, data}` with the Standard Webhooks headers
 * `webhook-id` (the message id, the same on every retry), `webhook-timestamp` (epoch seconds
 * of this attempt) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`
 * keyed with the secret's decoded bytes), computed by the `standardwebhooks` package itself.
 * `slack`: `{"text": ...}` for a Slack-compatible incoming webhook, unsigned.
 */
import { Webhook } from "standardwebhooks";
import type { MessagePayload } from "../domain/alert-events.ts";
import { slackText } from "./slack.ts";

export type EndpointFormat = "standard" | "slack";

export interface OutgoingRequest {
  headers: Record<string, string>;
  body: string;
}

/**
 * The request for message `id` with `payload`, signed with `secret`, at `now` (epoch ms).
 * Given several secrets (the new and, for 24 h after a rotation, the old one), the
 * `webhook-signature` header holds one `v1,` signature per secret, space-separated, as
 * Standard Webhooks allows: a receiver verifies with either.
 */
export function buildRequest(
  format: EndpointFormat,
  id: string,
  payload: MessagePayload,
  secret: string | readonly string[],
  now: number,
): OutgoingRequest {
  if (format === "slack") {
    return {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: slackText(payload) }),
    };
  }
  const body = JSON.stringify(payload);
  const at = new Date(Math.floor(now / 1000) * 1000);
  return {
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now / 1000)),
      "webhook-signature": (typeof secret === "string" ? [secret] : secret)
        .map((one) => new Webhook(one).sign(id, at, body))
        .join(" "),
    },
    body,
  };
}
