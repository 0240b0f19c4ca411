/**
 * The operator console (docs/console.md): session check, the shell (navigation, who is signed in,
 * sign-out) and the view of the current route.
 */
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, get, onUnauthorized, takeBoot } from "./api.ts";
import { useRoute, type Route } from "./router.ts";
import type { Session } from "./types.ts";
import { AccountView } from "./views/account.tsx";
import { AtRisk } from "./views/at-risk.tsx";
import { MonitorView } from "./views/monitor.tsx";
import { Settings } from "./views/settings.tsx";
import { SignIn } from "./views/sign-in.tsx";
import { Violations } from "./views/violations.tsx";

const NAV: Array<{ hash: string; label: string; view: Route["view"]; key: string }> = [
  { hash: "#/", label: "At risk", view: "at-risk", key: "1" },
  { hash: "#/violations", label: "Violations", view: "violations", key: "2" },
  { hash: "#/monitor", label: "Monitor", view: "monitor", key: "3" },
  { hash: "#/settings", label: "Settings", view: "settings", key: "4" },
];

function App() {
  const [session, setSession] = useState<Session | null | "loading">("loading");
  const route = useRoute();

  useEffect(() => {
    takeBoot<Session>("session")
      .then((s) => s ?? get<Session>("/v1/session"))
      .then(setSession)
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) setSession(null);
        else setSession(null);
      });
    return onUnauthorized(() => setSession(null));
  }, []);

  // Keyboard: 1-4 switch views (not while typing).
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey || (t && /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)))
        return;
      const item = NAV.find((n) => n.key === e.key);
      if (item) location.hash = item.hash;
    };
    addEventListener("keydown", on);
    return () => removeEventListener("keydown", on);
  }, []);

  if (session === "loading") return <p class="loading">Loading...</p>;
  if (session === null) return <SignIn onSignedIn={setSession} />;

  const signOut = async () => {
    await api("DELETE", "/v1/session").catch(() => undefined);
    setSession(null);
  };
  const current = route.view === "account" ? "at-risk" : route.view;
  return (
    <div class="shell">
      <header class="top">
        <strong class="brand">Drawdown Sentinel</strong>
        <nav aria-label="Views">
          {NAV.map((n) => (
            <a
              href={n.hash}
              aria-current={current === n.view ? "page" : undefined}
              title={`${n.label} (${n.key})`}
            >
              {n.label}
            </a>
          ))}
        </nav>
        <span class="who" data-role={session.role}>
          {session.name} · <span class="role">{session.role}</span>
        </span>
        <button type="button" class="quiet" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main class="view">
        {route.view === "at-risk" && <AtRisk role={session.role} />}
        {route.view === "account" && <AccountView id={route.id} role={session.role} />}
        {route.view === "violations" && <Violations />}
        {route.view === "monitor" && <MonitorView role={session.role} />}
        {route.view === "settings" && <Settings role={session.role} />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
