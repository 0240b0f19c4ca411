/**
 * The documentation stays usable: every relative link in README.md, BENCHMARKS.md and docs/
 * resolves (a file, and a heading when the link names one); every doc a code comment cites
 * exists, with every section it quotes as a heading there; no doc points outside the
 * repository at the old spec folder; and docs/source-map.md lists every file under src/
 * exactly once.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = normalize(join(import.meta.dirname, "../.."));

function walk(dir: string, keep: (file: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : walk(path, keep);
    return keep(path) ? [path] : [];
  });
}

const rel = (file: string) => relative(ROOT, file);
const read = (file: string) => readFileSync(file, "utf8");

/** The Markdown this test guards: the front door, the benchmarks and everything under docs/. */
const DOCS = [
  join(ROOT, "README.md"),
  join(ROOT, "BENCHMARKS.md"),
  ...walk(join(ROOT, "docs"), (f) => f.endsWith(".md")),
];

/** The text of a Markdown file without its fenced code blocks (links there are examples). */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/** A heading as compared: no Markdown emphasis or code marks, lower case. */
function plain(heading: string): string {
  return heading.replace(/[`*_]/g, "").trim().toLowerCase();
}

/** The headings of a Markdown file, plain. */
export function headingsOf(text: string): string[] {
  return [...prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => plain(m[1]!));
}

/** GitHub's anchor of a heading. */
export function slugOf(heading: string): string {
  return plain(heading)
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

/** True when `section` names a heading: the whole heading, or its part before a colon. */
export function namesHeading(headings: readonly string[], section: string): boolean {
  const s = plain(section);
  return headings.some((h) => h === s || h.startsWith(`${s}:`));
}

interface Link {
  from: string;
  target: string;
}

/** Relative link targets of a Markdown file (inline links and images). */
export function linksOf(text: string): string[] {
  return [...prose(text).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** What is wrong with one link, or null. */
function brokenLink({ from, target }: Link): string | null {
  const [path, anchor] = target.split("#", 2) as [string, string | undefined];
  const file = path === "" ? from : normalize(join(dirname(from), decodeURI(path)));
  if (!file.startsWith(ROOT)) return `${rel(from)}: ${target} leaves the repository`;
  if (!existsSync(file)) return `${rel(from)}: ${target} does not exist`;
  if (anchor && statSync(file).isFile() && file.endsWith(".md")) {
    const slugs = headingsOf(read(file)).map(slugOf);
    if (!slugs.includes(anchor.toLowerCase())) return `${rel(from)}: ${target} names no heading`;
  }
  return null;
}

/** Where code cites the docs (this file aside: its citations are examples). */
const CODE = [
  ...["src", "test", "bench", "sim", "dev", "scripts", join("console", "src")].flatMap((d) =>
    walk(join(ROOT, d), (f) => /\.(ts|tsx|mjs|md)$/.test(f) && f !== import.meta.filename),
  ),
  join(ROOT, "wrangler.toml"),
  join(ROOT, ".ci", "run"),
];

interface Citation {
  from: string;
  doc: string;
  sections: string[];
}

/**
 * The citations in a code file: a doc path, then the sections it quotes right after it
 * (`, "Section"`, several separated by commas). A comment's line breaks (with their `*`, `//`
 * or `#`) are read as spaces, so a quoted section may wrap.
 */
export function citationsOf(text: string, from = ""): Citation[] {
  const joined = text.replace(/\n[ \t]*(?:\*(?!\/)|\/\/|#)?[ \t]*/g, " ");
  const found: Citation[] = [];
  const cite = /((?:docs\/[\w./-]+|BENCHMARKS|README)\.md)((?:,?[ ]*"[^"]+")*)/g;
  for (const m of joined.matchAll(cite)) {
    const sections = [...m[2]!.matchAll(/"([^"]+)"/g)].map((s) => s[1]!);
    found.push({ from, doc: m[1]!, sections });
  }
  return found;
}

/** What is wrong with one citation, or null. */
function brokenCitation(c: Citation): string[] {
  const file = join(ROOT, c.doc);
  if (!existsSync(file)) return [`${rel(c.from)}: cites ${c.doc}, which does not exist`];
  const headings = headingsOf(read(file));
  return c.sections
    .filter((s) => !namesHeading(headings, s))
    .map((s) => `${rel(c.from)}: cites "${s}" in ${c.doc}, which has no such heading`);
}

describe("the documentation's links", () => {
  it("reads the docs it guards (the walk is not vacuous)", () => {
    expect(DOCS.length).toBeGreaterThan(10);
    expect(DOCS.flatMap((f) => linksOf(read(f))).length).toBeGreaterThan(50);
  });

  it("resolves every relative link in README.md, BENCHMARKS.md and docs/", () => {
    const links = DOCS.flatMap((from) => linksOf(read(from)).map((target) => ({ from, target })));
    expect(links.map(brokenLink).filter((b) => b !== null)).toEqual([]);
  });

  it("tells a broken link, a link out of the repository and a missing heading", () => {
    const from = join(ROOT, "README.md");
    expect(brokenLink({ from, target: "docs/no-such-file.md" })).toMatch(/does not exist/);
    expect(brokenLink({ from, target: "../elsewhere/x.md" })).toMatch(/leaves the repository/);
    expect(brokenLink({ from, target: "docs/architecture.md#no-such-heading" })).toMatch(
      /names no heading/,
    );
    expect(brokenLink({ from, target: "docs/architecture.md#never-blind" })).toBeNull();
  });

  it("never points at the spec folder outside the repository", () => {
    const spec = ["shared", "spec"].join("/");
    const files = [...DOCS, ...walk(join(ROOT, "src"), (f) => f.endsWith(".ts"))];
    expect(files.filter((f) => read(f).includes(spec)).map(rel)).toEqual([]);
  });
});

describe("citations of the docs in code", () => {
  const citations = CODE.flatMap((f) => citationsOf(read(f), f));

  it("finds the citations it checks", () => {
    expect(citations.length).toBeGreaterThan(80);
    expect(citations.filter((c) => c.sections.length > 0).length).toBeGreaterThan(40);
  });

  it("cites only docs that exist, and only sections that are headings there", () => {
    expect(citations.flatMap(brokenCitation)).toEqual([]);
  });

  it("reads a section that wraps across comment lines, and several sections in a row", () => {
    const text = ' * the monitor (docs/api.md, "Monitor and\n * poller", "Health and docs").';
    expect(citationsOf(text)).toEqual([
      { from: "", doc: "docs/api.md", sections: ["Monitor and poller", "Health and docs"] },
    ]);
  });

  it("tells a section that is not a heading", () => {
    const c = { from: join(ROOT, "src/x.ts"), doc: "docs/api.md", sections: ["No such part"] };
    expect(brokenCitation(c)).toEqual([
      'src/x.ts: cites "No such part" in docs/api.md, which has no such heading',
    ]);
  });
});

describe("the source map", () => {
  const tree = walk(join(ROOT, "src"), (f) => f.endsWith(".ts"))
    .map(rel)
    .sort();
  const listed = [...read(join(ROOT, "docs", "source-map.md")).matchAll(/^- `(src\/[^`]+)`/gm)]
    .map((m) => m[1]!)
    .sort();

  it("lists every file under src/", () => {
    expect(tree.filter((f) => !listed.includes(f))).toEqual([]);
  });

  it("lists no file twice, and none that is not there", () => {
    expect(listed.filter((f, i) => listed.indexOf(f) !== i)).toEqual([]);
    expect(listed.filter((f) => !tree.includes(f))).toEqual([]);
  });
});
