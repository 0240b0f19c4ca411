/**
 * At risk (docs/console.md, "At risk"): active accounts by usage, highest first, from the server's
 * sorted listing (`sort=usage_desc`), one page of at most 100 rows at a time. Refreshes every
 * 1.5 s without a reload; says when its figures are stale. Keys: `/` search, j/k move,
 * Enter opens. Admins add accounts here (at-risk/new-account.tsx).
 */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { get, getOptional, query, takeBoot } from "../api.ts";
import { BOOT_URLS } from "../boot.ts";
import { Pager, useCursorPages } from "../components/grid.tsx";
import { HealthBanner } from "../components/health-banner.tsx";
import { BreachStrip } from "./at-risk/breaches.tsx";
import { AccountsTable } from "./at-risk/table.tsx";
import { fmtAge, fmtMoney } from "../format.ts";
import { useNow, usePoll } from "../poll.ts";
import { go } from "../router.ts";
import { canAdminister } from "../roles.ts";
import type { Account, MonitorStatus, Page, Role, Violation } from "../types.ts";
import { NewAccount } from "./at-risk/new-account.tsx";

const PAGE = 100;
const REFRESH_MS = 1500;
const PRESETS = [
  "ftmo-2step",
  "ftmo-1step",
  "the5ers-highstakes",
  "fundednext-2step",
  "topstep-style",
];

interface Filters {
  status: string;
  state: string;
  preset: string;
  q: string;
}

export function AtRisk({ role }: { role: Role }) {
  const [adding, setAdding] = useState(false);
  const [filters, setFilters] = useState<Filters>({
    status: "active",
    state: "",
    preset: "",
    q: "",
  });
  const [text, setText] = useState("");
  const pages = useCursorPages();
  const [selected, setSelected] = useState(0);
  const search = useRef<HTMLInputElement>(null);
  const now = useNow();
  const cursor = pages.cursor;

  useEffect(() => {
    const q = text.trim();
    const t = setTimeout(() => setFilters((f) => (f.q === q ? f : { ...f, q })), 250);
    return () => clearTimeout(t);
  }, [text]);
  useEffect(() => pages.reset(), [filters]);

  const list = usePoll(
    async () => {
      const path = `/v1/accounts${query({
        sort: "usage_desc",
        limit: PAGE,
        status: filters.status,
        monitoring_state: filters.state,
        preset: filters.preset,
        q: filters.q,
        cursor,
      })}`;
      // The default first page may already be on its way (index.html).
      const isDefault = path === BOOT_URLS.atRisk;
      return (
        (isDefault ? await takeBoot<Page<Account>>("atRisk") : null) ?? get<Page<Account>>(path)
      );
    },
    REFRESH_MS,
    [filters, cursor],
  );
  // The banner and the breach strip wait for the first page: it goes first on the wire.
  const ready = list.at !== null;
  const monitor = usePoll(
    () => (ready ? getOptional<MonitorStatus>("/v1/monitor") : Promise.resolve(null)),
    5000,
    [ready],
  );
  // What just breached (last 24 h), on the same 1.5 s beat: breached accounts leave the
  // default (active) listing, so they are named here.
  const breaches = usePoll(
    () =>
      ready
        ? get<Page<Violation>>(
            `/v1/violations${query({ limit: 8, since: new Date(Date.now() - 86_400_000).toISOString() })}`,
          )
        : Promise.resolve(null),
    REFRESH_MS,
    [ready],
  );
  const rows = list.data?.items ?? [];
  // For the console benchmark (bench/console.ts): when the first rows were on screen.
  useLayoutEffect(() => {
    if (rows.length > 0 && performance.getEntriesByName("console:first-rows").length === 0)
      performance.mark("console:first-rows");
  }, [rows.length > 0]);

  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.key === "/" && t?.tagName !== "INPUT") {
        e.preventDefault();
        search.current?.focus();
        return;
      }
      if (t && /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName)) return;
      if (e.key === "j") setSelected((s) => Math.min(rows.length - 1, s + 1));
      else if (e.key === "k") setSelected((s) => Math.max(0, s - 1));
      else if (e.key === "Enter" && rows[selected]) go(`#/account/${rows[selected]!.id}`);
    };
    addEventListener("keydown", on);
    return () => removeEventListener("keydown", on);
  }, [rows, selected]);

  const set = (k: keyof Filters) => (e: Event) =>
    setFilters((f) => ({ ...f, [k]: (e.target as HTMLSelectElement).value }));
  const stale = list.at !== null && now - list.at > 3 * REFRESH_MS + 2000;

  return (
    <section aria-labelledby="atrisk-title">
      <HealthBanner monitor={monitor.data} />
      <div class="toolbar">
        <h1 id="atrisk-title">At risk</h1>
        <select aria-label="Status" value={filters.status} onChange={set("status")}>
          <option value="active">active</option>
          <option value="breached">breached</option>
          <option value="disabled">disabled</option>
          <option value="deleted">deleted</option>
          <option value="">any status</option>
        </select>
        <select aria-label="Monitoring state" value={filters.state} onChange={set("state")}>
          <option value="">live + polling</option>
          <option value="live">live</option>
          <option value="polling">polling</option>
        </select>
        <select aria-label="Preset" value={filters.preset} onChange={set("preset")}>
          <option value="">any preset</option>
          {PRESETS.map((p) => (
            <option value={p}>{p}</option>
          ))}
        </select>
        <input
          ref={search}
          type="search"
          placeholder="Search label, login, server  ( / )"
          aria-label="Search"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        {canAdminister(role) && (
          <button type="button" onClick={() => setAdding(true)}>
            Add account
          </button>
        )}
        <span class={`freshness ${stale || list.error ? "stale" : ""}`} aria-live="polite">
          {list.error
            ? `update failed: ${list.error.message}`
            : list.at
              ? `updated ${fmtAge(new Date(list.at).toISOString(), now)} ago`
              : "loading"}
        </span>
      </div>
      <BreachStrip breaches={breaches.data?.items ?? []} now={now} />
      <AccountsTable rows={rows} selected={selected} loaded={list.data !== null} now={now} />
      <Pager pages={pages} nextCursor={list.data?.next_cursor} note={`${rows.length} rows`} />
      {adding && <NewAccount onClose={() => setAdding(false)} />}
    </section>
  );
}
