/**
 * What clients send to the Events service, parsed once at the edge: a subscribe or
 * unsubscribe request, or a rejection with the message the error reply carries.
 */

export interface ClientRequest {
  action: "subscribe" | "unsubscribe";
  session_id: string;
  login: string;
  server: string;
}

export type ParsedClientFrame =
  { ok: true; request: ClientRequest } | { ok: false; message: string };

/**
 * Parses one client frame. Liberal like the real service: `login` may be a number, `login`
 * and `server` may be missing (empty strings), the action's case does not matter; a
 * `session_id` (or `sessionId`) is required.
 */
export function parseClientFrame(text: string): ParsedClientFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: "invalid JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, message: "expected a JSON object" };
  }
  const o = value as Record<string, unknown>;
  const action = typeof o["action"] === "string" ? o["action"].toLowerCase() : undefined;
  if (action !== "subscribe" && action !== "unsubscribe") {
    return { ok: false, message: `unknown action: ${JSON.stringify(o["action"] ?? null)}` };
  }
  const sessionId = o["session_id"] ?? o["sessionId"];
  if (typeof sessionId !== "string" || sessionId === "") {
    return { ok: false, message: "session_id is required" };
  }
  const login = o["login"];
  const server = o["server"];
  return {
    ok: true,
    request: {
      action,
      session_id: sessionId,
      login: typeof login === "string" || typeof login === "number" ? String(login) : "",
      server: typeof server === "string" ? server : "",
    },
  };
}

/** The acknowledgement of a request: `{"type":"subscribed"|"unsubscribed", login, server, session_id}`. */
export function ackFrame(request: ClientRequest): string {
  return JSON.stringify({
    type: request.action === "subscribe" ? "subscribed" : "unsubscribed",
    login: request.login,
    server: request.server,
    session_id: request.session_id,
  });
}

/** The reply to a frame that could not be understood. */
export function errorFrame(message: string): string {
  return JSON.stringify({ type: "error", message });
}
