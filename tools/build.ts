/**
 * `npm run build` (also run by `prepare`, i.e. on `npm ci` and `npm pack`): compile the CLI to
 * dist/ so that `capos-conform` starts as plain JavaScript, and copy beside it the data files
 * the compiled modules find next to themselves through `import.meta.url`.
 *
 * dist/ mirrors the source tree (dist/spec/clauses/index.js reads dist/spec/clauses/*.json),
 * so the same relative lookups work from the sources (tests, tsx), from dist and from an
 * installed tarball.
 */
import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");

/** Files read at run time, relative to the module that reads them (see each reader). */
export const RUNTIME_DATA = [
  "spec/clauses/manual.json", // spec/clauses/index.ts
  "spec/clauses/suite.json", // spec/clauses/index.ts
  "spec/binding.schema.json", // spec/binding-file.ts
  "targets/elf", // targets/manifest.ts ELF_DIR: the committed ELFs and manifest.json
];

rmSync(DIST, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json")], { stdio: "inherit" });
for (const path of RUNTIME_DATA) cpSync(join(ROOT, path), join(DIST, path), { recursive: true });
