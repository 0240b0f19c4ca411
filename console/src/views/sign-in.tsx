/** Sign-in: the key goes to `POST /v1/session` once and is never stored in the browser. */
import { useState } from "preact/hooks";
import { ApiError, api } from "../api.ts";
import type { Session } from "../types.ts";

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api<Session>("POST", "/v1/session", { key: key.trim() });
      setKey("");
      onSignedIn(session);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? "That key is not valid."
          : String(err instanceof Error ? err.message : err),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Drawdown Sentinel</h1>
        <label for="key">API key</label>
        <input
          id="key"
          name="key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          autofocus
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={busy || key.trim() === ""}>
          {busy ? "Signing in..." : "Sign in"}
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <p class="hint">
          The key is exchanged for a 12-hour session cookie and is not kept in the browser.
        </p>
      </form>
    </main>
  );
}
