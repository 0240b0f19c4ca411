/**
 * Hash routes (`#/`, `#/account/42`, `#/violations`, `#/monitor`, `#/settings`): the Worker
 * serves one index.html and needs no route table for the console.
 */
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { view: "at-risk" }
  | { view: "account"; id: number }
  | { view: "violations" }
  | { view: "monitor" }
  | { view: "settings" };

/** The route of a location hash; unknown hashes are the home view. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "") || "/";
  const account = /^\/account\/([1-9][0-9]*)$/.exec(path);
  if (account) return { view: "account", id: Number(account[1]) };
  if (path === "/violations") return { view: "violations" };
  if (path === "/monitor") return { view: "monitor" };
  if (path === "/settings") return { view: "settings" };
  return { view: "at-risk" };
}

/** The current route, following hash changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

/** Goes to a route's hash. */
export function go(hash: string): void {
  location.hash = hash;
}
