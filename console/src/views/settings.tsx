/**
 * Settings (docs/console.md, "Settings"; admin): API keys (create shows the key once, revoke asks for
 * a reason) and webhooks with their recent deliveries and a test button. Endpoints the
 * server does not have yet are shown as such instead of failing.
 */
import { useState } from "preact/hooks";
import { api, getOptional, query } from "../api.ts";
import { ReasonDialog } from "../components/reason-dialog.tsx";
import { fmtTime } from "../format.ts";
import { Grid } from "../components/grid.tsx";
import { usePoll } from "../poll.ts";
import { canAdminister, canOperate } from "../roles.ts";
import type { Role } from "../types.ts";

interface ApiKey {
  id: number;
  name: string;
  role: Role;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
}
interface Webhook {
  id: number;
  url: string;
  events: string[];
  description?: string | null;
  enabled?: boolean;
}
interface Delivery {
  message_id?: string;
  at?: string;
  status?: number | string | null;
  error?: string | null;
  duration_ms?: number;
  event?: string;
}

export function Settings({ role }: { role: Role }) {
  if (!canAdminister(role)) {
    return (
      <section>
        <h1>Settings</h1>
        <p class="muted">Keys and webhooks are managed by admins.</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <div class="columns">
        <Keys />
        <Webhooks role={role} />
      </div>
    </section>
  );
}

function Keys() {
  const keys = usePoll(() => getOptional<{ items: ApiKey[] }>("/v1/keys"), null, []);
  const [name, setName] = useState("");
  const [newRole, setNewRole] = useState<Role>("viewer");
  const [created, setCreated] = useState<string | null>(null);
  const [revoke, setRevoke] = useState<ApiKey | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (keys.at !== null && keys.data === null) {
    return (
      <div>
        <h2>API keys</h2>
        <p class="muted">This server has no API keys yet (only the admin token).</p>
      </div>
    );
  }
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const res = await api<{ key: string }>("POST", "/v1/keys", {
        name: name.trim(),
        role: newRole,
      });
      setCreated(res.key);
      setName("");
      keys.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <div>
      <h2>API keys</h2>
      <form class="inline" onSubmit={create}>
        <input
          aria-label="Key name"
          placeholder="name"
          required
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
        <select
          aria-label="Role"
          value={newRole}
          onChange={(e) => setNewRole((e.target as HTMLSelectElement).value as Role)}
        >
          <option value="viewer">viewer</option>
          <option value="operator">operator</option>
          <option value="admin">admin</option>
        </select>
        <button type="submit">Create key</button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {created && (
        <p class="notice" role="status">
          New key (shown once): <code class="mono">{created}</code>{" "}
          <button type="button" class="quiet" onClick={() => setCreated(null)}>
            Done
          </button>
        </p>
      )}
      <Grid
        compact
        columns={["Name", "Role", "Prefix", "Created", "Last used", ""]}
        empty={keys.data?.items.length === 0}
      >
        {(keys.data?.items ?? []).map((k) => (
          <tr key={k.id}>
            <td>{k.name}</td>
            <td>{k.role}</td>
            <td class="mono">{k.prefix}</td>
            <td>{fmtTime(k.created_at)}</td>
            <td>{fmtTime(k.last_used_at)}</td>
            <td>
              <button type="button" class="quiet" onClick={() => setRevoke(k)}>
                Revoke
              </button>
            </td>
          </tr>
        ))}
      </Grid>
      {revoke && (
        <ReasonDialog
          title={`Revoke key ${revoke.name}`}
          confirm="Revoke"
          onConfirm={async (reason) => {
            await api("DELETE", `/v1/keys/${revoke.id}${query({ reason })}`);
            keys.reload();
          }}
          onClose={() => setRevoke(null)}
        />
      )}
    </div>
  );
}

function Webhooks({ role }: { role: Role }) {
  const hooks = usePoll(() => getOptional<{ items: Webhook[] }>("/v1/webhooks"), null, []);
  const [open, setOpen] = useState<number | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const deliveries = usePoll(
    () =>
      open === null
        ? Promise.resolve(null)
        : getOptional<{ items: Delivery[] }>(`/v1/webhooks/${open}/deliveries?limit=50`),
    open === null ? null : 5000,
    [open],
  );
  if (hooks.at !== null && hooks.data === null) {
    return (
      <div>
        <h2>Webhooks</h2>
        <p class="muted">This server has no webhooks yet.</p>
      </div>
    );
  }
  const test = async (id: number) => {
    try {
      await api("POST", `/v1/webhooks/${id}/test`, {});
      setNotice(`test sent to webhook ${id}`);
      deliveries.reload();
    } catch (err) {
      setNotice(`test failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return (
    <div>
      <h2>Webhooks</h2>
      {notice && <p class="muted">{notice}</p>}
      <Grid compact columns={["URL", "Events", "On", ""]} empty={hooks.data?.items.length === 0}>
        {(hooks.data?.items ?? []).map((w) => (
          <tr key={w.id} class={w.id === open ? "selected" : ""}>
            <td class="mono">
              <button
                type="button"
                class="link"
                onClick={() => setOpen(w.id === open ? null : w.id)}
              >
                {w.url}
              </button>
            </td>
            <td>{w.events.join(", ")}</td>
            <td>{w.enabled === false ? "off" : "on"}</td>
            <td>
              {canOperate(role) && (
                <button type="button" onClick={() => test(w.id)}>
                  Test
                </button>
              )}
            </td>
          </tr>
        ))}
      </Grid>
      {open !== null && (
        <>
          <h2>Recent deliveries</h2>
          <Grid
            compact
            columns={["At", "Event", "Status", "Duration"]}
            empty={deliveries.data?.items.length === 0}
          >
            {(deliveries.data?.items ?? []).map((d, i) => (
              <tr key={d.message_id ?? i}>
                <td>{fmtTime(d.at)}</td>
                <td>{d.event ?? ""}</td>
                <td>{d.error ?? String(d.status ?? "")}</td>
                <td>{d.duration_ms === undefined ? "" : `${d.duration_ms} ms`}</td>
              </tr>
            ))}
          </Grid>
        </>
      )}
    </div>
  );
}
