/**
 * The real bridge's habits in `npm run dev` (docs/mtapi-bridge.md, "Simulator"), so a newcomer
 * sees them handled: one demo account's token expires every few minutes (201 `INVALID_TOKEN`;
 * the poller reconnects it by `ConnectByToken` and reads it in the same poll), and another
 * answers `synced: false` with zero figures for a while (the console shows `unsynced` and no
 * breach, then clears it). Driven through the simulator's control API; stopped at shutdown.
 */

export interface BridgeDemoOptions {
  /** The token of the account whose session expires, and of the one that goes unsynced. */
  expiring: string;
  unsynced: string;
}

export interface BridgeDemoTiming {
  /** How often each habit comes back (ms). Default 3 and 5 minutes. */
  expireEveryMs?: number;
  unsyncedEveryMs?: number;
  /** How long an unsynced spell lasts (ms). Default 90 s. */
  unsyncedForMs?: number;
  log?: (line: string) => void;
}

const INVALID_TOKEN = JSON.stringify({
  code: "INVALID_TOKEN",
  message: "Client with id not found",
});

/**
 * Picks two calm walkers the simulator knows (no drift: neither is near a floor, so neither
 * habit hides a real breach, and no scripted scene is touched) and starts the habits; returns the function that stops them.
 */
export async function startBridgeDemo(
  simUrl: string,
  timing: BridgeDemoTiming = {},
): Promise<() => void> {
  const res = await fetch(`${simUrl}/control/accounts`);
  const known = res.ok
    ? ((await res.json()) as Array<{ session_id: string; drift: number; walk: boolean }>)
    : [];
  // Calm random walkers only: never an account a demo scene scripts (those do not walk).
  const calm = known
    .filter((a) => a.drift === 0 && a.walk)
    .map((a) => a.session_id)
    .sort();
  if (calm.length < 2) return () => {};
  return startHabits(simUrl, { expiring: calm[0]!, unsynced: calm[1]!, ...timing });
}

/** Starts the habits on the given accounts; returns the function that stops them. */
export function startHabits(
  simUrl: string,
  opts: BridgeDemoOptions & BridgeDemoTiming,
): () => void {
  const patch = (session: string, body: unknown) =>
    fetch(`${simUrl}/control/accounts/${encodeURIComponent(session)}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    })
      .then((r) => r.ok)
      .catch(() => false);
  const say = opts.log ?? (() => {});
  const timers: Array<ReturnType<typeof setTimeout>> = [];
  const expire = async () => {
    if (
      await patch(opts.expiring, {
        expired: true,
        expired_status: 201,
        expired_body: INVALID_TOKEN,
      })
    )
      say("bridge demo: a session token expired (INVALID_TOKEN); the poller renews it");
  };
  const unsync = async () => {
    if (!(await patch(opts.unsynced, { synced: false }))) return;
    say("bridge demo: an account answers synced: false with zeros (problem unsynced, no breach)");
    timers.push(
      setTimeout(() => void patch(opts.unsynced, { synced: true }), opts.unsyncedForMs ?? 90_000),
    );
  };
  timers.push(setInterval(() => void expire(), opts.expireEveryMs ?? 3 * 60_000));
  timers.push(setInterval(() => void unsync(), opts.unsyncedEveryMs ?? 5 * 60_000));
  // The first of each soon after start, so the first minutes already show them.
  timers.push(setTimeout(() => void expire(), 60_000));
  timers.push(setTimeout(() => void unsync(), 120_000));
  return () => {
    for (const t of timers) clearTimeout(t);
  };
}
