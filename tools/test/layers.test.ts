/**
 * Layers point one way (COMMON.md, issue 11): every relative import of every .ts file in the
 * repository (tests included, `import type` and `export ... from` included) is checked against
 * an explicit table of the folder edges allowed, and the files of emulator/cpu and
 * emulator/capos must import each other without a cycle.
 *
 * Imports are read with the TypeScript scanner (`ts.preProcessFile`), which sees static,
 * type-only, re-export and literal dynamic imports but not strings in comments.
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SKIP_DIRS = new Set(["node_modules", ".git", "out"]);
/** The root's scratch folder (`/tmp/` in .gitignore): never part of the suite, so not of its layers. */
const SCRATCH = "tmp";

/**
 * Folder -> the other top-level folders its files (tests included) may import. Bottom to top:
 * spec; model, emulator, generators, targets; properties; reports, then runner (which writes
 * its reports through reports/); tools. A root file (vitest.config.ts) counts as "(root)", on
 * top with tools.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  spec: [],
  model: ["spec"],
  emulator: ["spec"],
  generators: ["spec"],
  targets: ["spec"],
  properties: ["spec", "model", "emulator", "generators", "targets"],
  runner: ["spec", "model", "emulator", "generators", "targets", "properties", "reports"],
  reports: ["spec", "model", "emulator", "generators", "targets", "properties"],
  tools: ["spec", "model", "emulator", "generators", "targets", "properties", "runner", "reports"],
  // The native runner is C; its TypeScript is only its tests and bench, which drive it through the runner.
  native: ["spec", "generators", "targets", "properties", "runner", "reports"],
  "(root)": ["spec", "model", "emulator", "generators", "targets", "properties", "runner", "reports", "tools"],
};

/** Folders whose files must not import each other in a circle. */
const ACYCLIC_FOLDERS = ["emulator/cpu", "emulator/capos"];

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      const rel = relative(ROOT, join(dir, e.name)).split(sep).join("/");
      if (rel === SCRATCH) continue;
      if (!SKIP_DIRS.has(e.name) || (e.name === "out" && rel !== "reports/out")) tsFiles(join(dir, e.name), out);
    } else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(join(dir, e.name));
  }
  return out;
}

const rel = (abs: string) => relative(ROOT, abs).split(sep).join("/");
const topOf = (relPath: string) => (relPath.includes("/") ? relPath.slice(0, relPath.indexOf("/")) : "(root)");

/** The repository files a file imports (relative specifiers only; packages are not layers). */
function importsOf(file: string, known: ReadonlySet<string>): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const out: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith(".")) continue;
    const base = resolve(dirname(file), fileName);
    const stem = base.replace(/\.(js|ts|mjs)$/, "");
    const hit = [`${stem}.ts`, join(base, "index.ts")].find((c) => known.has(c));
    if (hit === undefined) throw new Error(`${rel(file)}: import "${fileName}" resolves to no .ts file`);
    out.push(hit);
  }
  return out;
}

const files = tsFiles(ROOT).sort();
const known = new Set(files);
const graph = new Map(files.map((f) => [f, importsOf(f, known)]));

/** Strongly connected components with more than one file (or a self-import): the cycles. */
function cycles(nodes: readonly string[], edges: (n: string) => readonly string[]): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>();
  const stack: string[] = [], out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || edges(v).includes(v)) out.push(scc.sort());
    }
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return out;
}

describe("layers", () => {
  it("the allowed-edges table itself has no cycle", () => {
    const folders = Object.keys(ALLOWED);
    expect(cycles(folders, (f) => ALLOWED[f] ?? [])).toEqual([]);
  });

  it("finds the repository's imports (sanity: the scan sees files and edges in every layer)", () => {
    const tops = new Set(files.map((f) => topOf(rel(f))));
    for (const f of ["spec", "model", "emulator", "generators", "runner", "tools"]) expect(tops).toContain(f);
    const edges = [...graph.values()].reduce((n, e) => n + e.length, 0);
    expect(edges).toBeGreaterThan(files.length);
  });

  it("every import between top-level folders is an allowed edge (no folder imports one that imports it back)", () => {
    const bad: string[] = [];
    for (const [file, deps] of graph) {
      const from = topOf(rel(file));
      const may = ALLOWED[from];
      for (const d of deps) {
        const to = topOf(rel(d));
        if (to === from) continue;
        if (may === undefined || !may.includes(to)) bad.push(`${rel(file)} -> ${rel(d)} (${from} may import: ${may?.join(", ") || "nothing"})`);
      }
    }
    expect(bad, `imports against the layer order:\n${bad.join("\n")}`).toEqual([]);
  });

  it.each(ACYCLIC_FOLDERS)("no import cycle among the files of %s", (folder) => {
    const inside = files.filter((f) => rel(f).startsWith(folder + "/"));
    expect(inside.length).toBeGreaterThan(5);
    const found = cycles(inside, (f) => (graph.get(f) ?? []).filter((d) => rel(d).startsWith(folder + "/")));
    expect(found.map((c) => c.map(rel).join(" <-> ")), "import cycles").toEqual([]);
  });
});
