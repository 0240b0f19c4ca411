/**
 * Session tokens in the live monitor (docs/security.md, "Secrets at rest"): the monitor holds
 * its accounts' tokens in clear in memory only (routing, subscribe frames, evidence masking);
 * its SQLite storage holds them sealed. Storage writes are synchronous, so each token's sealed
 * form is made ready (asynchronously) before the write: the form it came in from Postgres when
 * it came sealed (no second encryption), a fresh seal otherwise.
 */
import { log } from "../util/log.ts";
import type { SubscribeInput } from "./core/subscriptions.ts";
import { isSealed, seal, type SealKeys } from "../secrets/seal.ts";
import { openSession } from "../secrets/session.ts";

/** Sealed forms kept (one per token held; the oldest go first past it). */
const MAX = 50_000;

export class SessionSeals {
  /** Token in clear -> its sealed form for storage. */
  private readonly sealedOf = new Map<string, string>();
  /** Whether a `SECRETS_KEY` was found (then nothing is stored in clear). */
  private keyed = false;

  /** `keys`: null without `SECRETS_KEY` (tokens are then stored as they come, in clear). */
  constructor(private readonly keys: () => Promise<SealKeys | null>) {}

  /**
   * The inputs with their tokens in clear, each token's sealed form ready for
   * {@link sealedFor}. A token given sealed that cannot be opened (a key gone) leaves its
   * input out, logged by account (never the value): the account is not subscribed under a
   * token that is not one.
   */
  async prepare(inputs: readonly SubscribeInput[]): Promise<SubscribeInput[]> {
    const keys = await this.loadKeys();
    const out: SubscribeInput[] = [];
    for (const input of inputs) {
      const token = await this.open(keys, input.account_id, input.session_id);
      if (token === null) continue;
      out.push(token === input.session_id ? input : { ...input, session_id: token });
    }
    return out;
  }

  /**
   * A token read back from storage, in clear (its sealed form kept); null when it cannot be
   * opened (logged).
   */
  async open(keys: SealKeys | null, accountId: number, stored: string): Promise<string | null> {
    try {
      const token = await openSession(keys, stored);
      if (isSealed(stored)) this.remember(token, stored);
      else if (keys?.current && !this.sealedOf.has(token))
        this.remember(token, await seal(keys, token));
      return token;
    } catch (err) {
      log("secrets:session_unopened", {
        account_id: accountId,
        reason: err instanceof Error ? err.message : "unknown",
      });
      return null;
    }
  }

  /** The keys, as {@link open} takes them. */
  async loadKeys(): Promise<SealKeys | null> {
    const keys = await this.keys();
    if (keys?.current) this.keyed = true;
    return keys;
  }

  /**
   * What storage holds for `token`: its sealed form made ready by {@link prepare} or
   * {@link open}; the token itself only without `SECRETS_KEY`. A token never prepared is a
   * bug, and throws rather than store it in clear.
   */
  sealedFor(token: string): string {
    const sealed = this.sealedOf.get(token);
    if (sealed !== undefined) return sealed;
    if (!this.keyed) return token;
    throw new Error("a session token reached storage unsealed (SessionSeals.prepare not called)");
  }

  private remember(token: string, sealed: string): void {
    if (this.sealedOf.size >= MAX) this.sealedOf.delete(this.sealedOf.keys().next().value!);
    this.sealedOf.set(token, sealed);
  }
}
