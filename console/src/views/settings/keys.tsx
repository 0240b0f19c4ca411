/** API keys (admin): create one (its key is shown once), list them, revoke one with a reason. */
import { useState } from "preact/hooks";
import { api, getOptional, query } from "../../api.ts";
import { Grid } from "../../components/grid.tsx";
import { ReasonDialog } from "../../components/reason-dialog.tsx";
import { fmtTime } from "../../format.ts";
import { usePoll } from "../../poll.ts";
import type { ApiKey, Role } from "../../types.ts";

export function Keys() {
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
