/**
 * `npm run build` (also run by `prepare`, i.e. on `npm ci` and `npm pack`): the suite as
 * plain JavaScript in dist/, so that the `capos-conform` command starts without a TypeScript
 * loader. Each module is transpiled on its own by esbuild (no bundling, no type check: `npm
 * test` type-checks), so dist/ mirrors the source tree; the data files the modules find next
 * to themselves through `import.meta.url` are copied beside them, and the same relative
 * lookups work from the sources (tests, tsx), from dist/ and from an installed tarball.
 */
import { cpSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");

/** The folders of the suite's layers; tests and test fixtures stay out. */
const SOURCE_DIRS = ["spec", "model", "emulator", "targets", "generators", "properties", "runner", "reports", "tools"];

/** Files read at run time, relative to the module that reads them. */
export const RUNTIME_DATA = [
  "spec/clauses/manual.json", // spec/clauses/index.ts
  "spec/clauses/suite.json", // spec/clauses/index.ts
  "spec/binding.schema.json", // spec/binding-file.ts
  "spec/adapter.schema.json", // runner/adapters/adapter-file.ts
  "spec/runner-result.schema.json", // runner/adapters/batch.ts
  "targets/elf", // targets/manifest.ts ELF_DIR: the committed ELFs and manifest.json
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "test" || e.name === "fixtures" || e.name === "node_modules" ? [] : sources(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts") && e.name !== "test-fixtures.ts" ? [path] : [];
  });
}

rmSync(DIST, { recursive: true, force: true });
const entryPoints = SOURCE_DIRS.flatMap((d) => sources(join(ROOT, d)));
await build({ entryPoints, outdir: DIST, outbase: ROOT, format: "esm", platform: "node", target: "node20", bundle: false, logLevel: "warning" });
for (const path of RUNTIME_DATA) cpSync(join(ROOT, path), join(DIST, path), { recursive: true });
console.log(`built ${entryPoints.length} modules into ${relative(process.cwd(), DIST) || "."}/`);
