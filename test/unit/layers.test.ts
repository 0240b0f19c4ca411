/**
 * The layout's rules (docs/architecture.md, "Layers"), checked on every import under src/: no
 * folder imports a folder that imports it back, the pure ring (risk, domain, the live core)
 * imports nothing with I/O, and the live monitor never reaches into the poller.
 * tsconfig.pure.json backs the same rule with the type checker (no platform types there).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = normalize(join(import.meta.dirname, "../../src"));

/** A file's folder as a layer: the top folder under src/, or live/core and live/client. */
function layerOf(file: string): string {
  const parts = relative(SRC, file).split("/");
  if (parts.length === 1) return "(entry)";
  if (parts[0] === "live" && (parts[1] === "core" || parts[1] === "client") && parts.length > 2) {
    return `live/${parts[1]}`;
  }
  return parts[0]!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [join(dir, e.name)]
        : [],
  );
}

interface Import {
  from: string;
  spec: string;
  layer: string | null;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT)].map((m) => {
    const spec = (m[1] ?? m[2])!;
    const layer = spec.startsWith(".") ? layerOf(normalize(join(dirname(file), spec))) : null;
    return { from: file, spec, layer };
  });
}

const files = sourceFiles(SRC);
const imports = files.flatMap(importsOf);

/** layer -> layers it imports (its own left out). */
function layerGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const i of imports) {
    const from = layerOf(i.from);
    if (i.layer === null || i.layer === from) continue;
    graph.set(from, (graph.get(from) ?? new Set()).add(i.layer));
  }
  return graph;
}

/** Every pair of layers that import each other, directly or through others. */
export function cyclesOf(graph: Map<string, Set<string>>): string[] {
  const reach = (start: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [...(graph.get(start) ?? [])];
    while (todo.length > 0) {
      const next = todo.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...(graph.get(next) ?? []));
    }
    return seen;
  };
  return [...graph.keys()].filter((l) => reach(l).has(l));
}

/** Packages the pure ring may use: they validate values and do no I/O. */
const PURE_PACKAGES = ["zod"];

function importsFrom(layer: string): Import[] {
  return imports.filter((i) => layerOf(i.from) === layer);
}

describe("the source layout", () => {
  it("finds the imports it checks (the guard reads the real tree)", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(layerGraph().get("http")?.has("domain")).toBe(true);
  });

  it("has no folder that imports a folder importing it back", () => {
    expect(cyclesOf(layerGraph())).toEqual([]);
  });

  it("tells a cycle when there is one", () => {
    const graph = new Map([
      ["a", new Set(["b"])],
      ["b", new Set(["c"])],
      ["c", new Set(["a"])],
      ["d", new Set(["a"])],
    ]);
    expect(cyclesOf(graph).sort()).toEqual(["a", "b", "c"]);
  });

  it("keeps the risk engine free of every other import", () => {
    const outside = importsFrom("risk").filter(
      (i) => i.layer !== "risk" && !PURE_PACKAGES.includes(i.spec),
    );
    expect(outside.map((i) => `${relative(SRC, i.from)}: ${i.spec}`)).toEqual([]);
  });

  it("lets the domain ring import only the risk engine and validation", () => {
    const outside = importsFrom("domain").filter(
      (i) => i.layer !== "domain" && i.layer !== "risk" && !PURE_PACKAGES.includes(i.spec),
    );
    expect(outside.map((i) => `${relative(SRC, i.from)}: ${i.spec}`)).toEqual([]);
  });

  it("lets the live monitor's core import only the domain and the risk engine", () => {
    const outside = importsFrom("live/core").filter(
      (i) => !["live/core", "domain", "risk"].includes(i.layer ?? "(package)"),
    );
    expect(outside.map((i) => `${relative(SRC, i.from)}: ${i.spec}`)).toEqual([]);
  });

  it("never lets the live monitor import the poller", () => {
    const live = ["live", "live/core", "live/client"].flatMap(importsFrom);
    const intoPoll = live.filter((i) => i.layer === "poll");
    expect(intoPoll.map((i) => `${relative(SRC, i.from)}: ${i.spec}`)).toEqual([]);
  });
});
