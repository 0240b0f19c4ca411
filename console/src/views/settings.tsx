/**
 * Settings (docs/console.md, "Settings"): the deployment's enforcement state for every role,
 * with the halt switch for admins; and (admin) API keys (create shows the key once, revoke asks
 * for a reason) and webhooks with their recent deliveries and a test button. Endpoints the
 * server does not have yet are shown as such instead of failing.
 */
import { canAdminister } from "../roles.ts";
import type { Role } from "../types.ts";
import { EnforcementSwitch } from "./settings/enforcement.tsx";
import { Keys } from "./settings/keys.tsx";
import { Webhooks } from "./settings/webhooks.tsx";

export function Settings({ role }: { role: Role }) {
  const admin = canAdminister(role);
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <EnforcementSwitch administer={admin} />
      {admin ? (
        <div class="columns">
          <Keys />
          <Webhooks role={role} />
        </div>
      ) : (
        <p class="muted">Keys and webhooks are managed by admins.</p>
      )}
    </section>
  );
}
