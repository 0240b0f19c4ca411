/**
 * Adding an account (admin; docs/console.md, "At risk"): login, server, label, a preset with
 * the initial balance, and either a session token or the credentials the system logs in with
 * (`POST /v1/accounts` with `credentials`, docs/mtapi-bridge.md). The password or token is
 * read from its field once on submit and the field emptied before the request leaves.
 */
import { useRef, useState } from "preact/hooks";
import { api, get } from "../../api.ts";
import { ReasonDialog } from "../../components/reason-dialog.tsx";
import { usePoll } from "../../poll.ts";
import { go } from "../../router.ts";
import type { Account, CreateAccount, Preset } from "../../types.ts";
import { takeSecret } from "../account/access.tsx";

type Auth = "credentials" | "token";

export function NewAccount({ onClose }: { onClose: () => void }) {
  const presets = usePoll(() => get<{ items: Preset[] }>("/v1/presets"), null, []);
  const [login, setLogin] = useState("");
  const [server, setServer] = useState("");
  const [label, setLabel] = useState("");
  const [preset, setPreset] = useState("ftmo-2step");
  const [balance, setBalance] = useState("100000");
  const [auth, setAuth] = useState<Auth>("credentials");
  const [kind, setKind] = useState<"investor" | "master">("investor");
  const secret = useRef<HTMLInputElement>(null);

  const create = async (reason: string) => {
    const value = takeSecret(secret.current);
    if (value.trim() === "")
      throw new Error(auth === "token" ? "The session token is empty." : "The password is empty.");
    const body: CreateAccount = {
      login: login.trim(),
      server: server.trim(),
      label: label.trim() || null,
      rules: { preset, initial_balance: Number(balance) } as CreateAccount["rules"],
      reason,
      ...(auth === "token"
        ? { session_id: value.trim() }
        : { credentials: { password: value, kind } }),
    };
    const made = await api<Account>("POST", "/v1/accounts", body);
    go(`#/account/${made.id}`);
  };

  const input = (id: string, name: string, value: string, set: (v: string) => void) => (
    <>
      <label for={id}>{name}</label>
      <input
        id={id}
        required
        value={value}
        onInput={(e) => set((e.target as HTMLInputElement).value)}
      />
    </>
  );

  return (
    <ReasonDialog
      title="Add an account"
      confirm="Add"
      onConfirm={create}
      onClose={() => {
        takeSecret(secret.current);
        onClose();
      }}
    >
      {input("new-login", "Login", login, setLogin)}
      {input("new-server", "Server", server, setServer)}
      <label for="new-label">Label (optional)</label>
      <input
        id="new-label"
        value={label}
        onInput={(e) => setLabel((e.target as HTMLInputElement).value)}
      />
      <label for="new-preset">Rules preset</label>
      <select
        id="new-preset"
        value={preset}
        onChange={(e) => setPreset((e.target as HTMLSelectElement).value)}
      >
        {(presets.data?.items ?? [{ name: preset, description: "" } as Preset]).map((p) => (
          <option value={p.name} title={p.description}>
            {p.name}
          </option>
        ))}
      </select>
      <label for="new-balance">Initial balance</label>
      <input
        id="new-balance"
        type="number"
        min={1}
        step="0.01"
        required
        value={balance}
        onInput={(e) => setBalance((e.target as HTMLInputElement).value)}
      />
      <fieldset class="choice">
        <legend>How the system reads it</legend>
        <label>
          <input
            type="radio"
            name="new-auth"
            value="credentials"
            checked={auth === "credentials"}
            onChange={() => setAuth("credentials")}
          />{" "}
          password (it logs in itself)
        </label>
        <label>
          <input
            type="radio"
            name="new-auth"
            value="token"
            checked={auth === "token"}
            onChange={() => setAuth("token")}
          />{" "}
          session token
        </label>
      </fieldset>
      <label for="new-secret">{auth === "token" ? "Session token" : "Password"}</label>
      <input
        id="new-secret"
        ref={secret}
        type="password"
        autoComplete={auth === "token" ? "off" : "new-password"}
        required
      />
      {auth === "credentials" && (
        <>
          <label for="new-kind">Kind</label>
          <select
            id="new-kind"
            value={kind}
            onChange={(e) => setKind((e.target as HTMLSelectElement).value as typeof kind)}
          >
            <option value="investor">investor (read-only, enough to watch)</option>
            <option value="master">master (trading; needed to enforce)</option>
          </select>
        </>
      )}
    </ReasonDialog>
  );
}
