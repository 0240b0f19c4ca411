/**
 * How the system reads the account (docs/console.md, "Account"; docs/mtapi-bridge.md,
 * "Credentials" and "Sessions"): the masked session token, the stored credentials' status
 * (never the password), and the current problem with since when it holds. Admins set, replace
 * or remove the credentials; operators paste a new session token, which the server checks
 * (CheckConnect, then a synced AccountSummary) before it takes it.
 *
 * Secrets are typed into uncontrolled inputs and read once on submit: the field is emptied
 * before the request leaves (whatever the answer), so no password or token stays in the page.
 */
import { useRef, useState } from "preact/hooks";
import { api } from "../../api.ts";
import { MEANING } from "../../components/problem-badge.tsx";
import { ReasonDialog } from "../../components/reason-dialog.tsx";
import { fmtAge, fmtTime } from "../../format.ts";
import type { Account } from "../../types.ts";

type Pending = "credentials" | "remove" | "session";

/** Reads a secret input once and empties it (docs/console.md: secrets are never kept). */
export function takeSecret(input: HTMLInputElement | null): string {
  if (!input) return "";
  const value = input.value;
  input.value = "";
  return value;
}

export function AccessSection(props: {
  account: Account;
  now: number;
  operate: boolean;
  administer: boolean;
  onChanged: () => void;
}) {
  const { account: a, now, operate, administer, onChanged } = props;
  const [pending, setPending] = useState<Pending | null>(null);
  const [kind, setKind] = useState<"investor" | "master">("investor");
  const [notice, setNotice] = useState<string | null>(null);
  const secret = useRef<HTMLInputElement>(null);
  const c = a.credentials;

  const run = async (reason: string) => {
    const r = encodeURIComponent(reason);
    if (pending === "credentials") {
      const password = takeSecret(secret.current);
      if (password === "") throw new Error("The password is empty.");
      await api("PUT", `/v1/accounts/${a.id}/credentials`, { password, kind, reason });
      setNotice("credentials stored");
    } else if (pending === "remove") {
      await api("DELETE", `/v1/accounts/${a.id}/credentials?reason=${r}`);
      setNotice("credentials removed");
    } else if (pending === "session") {
      const session_id = takeSecret(secret.current).trim();
      if (session_id === "") throw new Error("The token is empty.");
      try {
        await api("PUT", `/v1/accounts/${a.id}/session`, { session_id, reason });
      } catch (err) {
        throw new Error(
          `The token was not taken: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      setNotice("session token replaced");
    }
    onChanged();
  };

  return (
    <div id="access" data-credentials-status={c.status}>
      <h2>Access</h2>
      <dl class="kv">
        <dt>Session token</dt>
        <dd class="mono">{a.session_id}</dd>
        <dt>Credentials</dt>
        <dd data-testid="credentials">
          {c.status === "none" ? (
            <span class="muted">none stored</span>
          ) : (
            <>
              <span class={`badge ${c.status === "ok" ? "active" : "problem"}`}>{c.status}</span>
              {c.kind} · set {fmtTime(c.set_at)} · last login{" "}
              {c.last_login_at ? `${fmtTime(c.last_login_at)}` : "never"}
            </>
          )}
        </dd>
        <dt>Problem</dt>
        <dd data-testid="access-problem">
          {a.problem ? (
            <>
              <span class="badge problem">{a.problem}</span>
              {a.problem_since
                ? `since ${fmtTime(a.problem_since)} (${fmtAge(a.problem_since, now)})`
                : ""}
              <div class="muted">{MEANING[a.problem] ?? ""}</div>
            </>
          ) : (
            <span class="muted">none</span>
          )}
        </dd>
      </dl>
      {(operate || administer) && (
        <div class="actions-bar">
          {operate && (
            <button type="button" onClick={() => setPending("session")}>
              Paste session token
            </button>
          )}
          {administer && (
            <button type="button" onClick={() => setPending("credentials")}>
              {c.status === "none" ? "Set credentials" : "Replace credentials"}
            </button>
          )}
          {administer && c.status !== "none" && (
            <button type="button" onClick={() => setPending("remove")}>
              Remove credentials
            </button>
          )}
          {notice && (
            <span class="muted" role="status">
              {notice}
            </span>
          )}
        </div>
      )}
      {pending && (
        <ReasonDialog
          title={
            pending === "session"
              ? "Replace the session token"
              : pending === "remove"
                ? "Remove the stored credentials"
                : "Store credentials"
          }
          confirm={
            pending === "session" ? "Check and use" : pending === "remove" ? "Remove" : "Store"
          }
          onConfirm={run}
          onClose={() => {
            takeSecret(secret.current);
            setPending(null);
          }}
        >
          {pending === "session" && (
            <>
              <p class="hint">
                The server checks the token (CheckConnect, then a synced summary) before it uses it;
                a live account moves to it without a gap.
              </p>
              <label for="secret">Session token</label>
              <input
                id="secret"
                ref={secret}
                type="password"
                autoComplete="off"
                spellcheck={false}
                required
              />
            </>
          )}
          {pending === "credentials" && (
            <>
              <p class="hint">
                {a.login}@{a.server}: the password is sealed at rest and never shown again.
              </p>
              <label for="secret">Password</label>
              <input
                id="secret"
                ref={secret}
                type="password"
                autoComplete="new-password"
                required
              />
              <label for="kind">Kind</label>
              <select
                id="kind"
                value={kind}
                onChange={(e) => setKind((e.target as HTMLSelectElement).value as typeof kind)}
              >
                <option value="investor">investor (read-only, enough to watch)</option>
                <option value="master">master (trading; needed to enforce)</option>
              </select>
            </>
          )}
        </ReasonDialog>
      )}
    </div>
  );
}
