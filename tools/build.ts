/**
 * `npm run build` (also run by `prepare`, i.e. on `npm ci` and `npm pack`): the capos-conform
 * command as plain JavaScript in dist/, so that it starts without a TypeScript loader and
 * like a native tool (issue 14: `--help` within 150 ms, `run-elf` of a probe within 200 ms).
 * No type check here: `npm test` type-checks.
 *
 * dist/ holds (dist/package.json makes its .js files CommonJS):
 * - tools/cli.js: the whole command (tools/cli/main.ts and everything it imports), bundled by
 *   esbuild into one CommonJS file. Each command's implementation, which the command table
 *   imports with `import()`, stays behind an init function that runs only when the command
 *   does, so `--help` never runs the emulator's or fast-check's module code.
 * - tools/cli.cache: V8's code cache of tools/cli.js after `--help`, `--version` and `run-elf`
 *   of a probe (made by running the bin once, see tools/cli/bundle-loader.ts), so those starts
 *   neither parse the bundle nor compile what they run; used only for the bundle it holds a copy of.
 * - tools/conform.js: the bin (tools/cli/bundle-loader.ts), which runs tools/cli.js with the cache.
 * - tools/torture/worker.js: the hostile-input campaign's worker, forked by torture.
 * - the run-time data (RUNTIME_DATA) and metafile.json (esbuild's account of the bundle).
 * Large libraries that only some commands load (ajv, iced-x86, xmlbuilder2) stay in node_modules.
 *
 * Modules find their data files (clauses, schemas, committed ELFs, the mutation score) next to
 * themselves through `import.meta.url`. In a bundle all modules share one file, so each
 * module's `import.meta.url` is rewritten to the place the module would have in dist/ as a
 * mirror of the source tree (dist/spec/clauses/index.js for spec/clauses/index.ts), relative
 * to the bundle's own location; RUNTIME_DATA is copied to those places. The same relative
 * lookups then work from the sources (tests, tsx), from dist/ and from an installed tarball
 * (tools/test/build.test.ts, tools/test/installed.test.ts).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { BIN_FILE, BUNDLE_FILE, TRAIN_ENV } from "./cli/code-cache.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");

/** The bundles dist/ holds: output path in dist/ and source entry. */
export const BUNDLES: readonly { out: string; entry: string }[] = [
  { out: BUNDLE_FILE, entry: "tools/cli/main.ts" },
  { out: BIN_FILE, entry: "tools/cli/bundle-loader.ts" }, // package.json bin
  { out: "tools/torture/worker.js", entry: "tools/torture/worker.ts" }, // forked by tools/torture/campaign.ts
];

/** Packages left in node_modules: large, loaded only by the commands that use them. */
export const EXTERNAL_PACKAGES = ["ajv", "ajv-formats", "iced-x86", "xmlbuilder2"];

/** Files read at run time, relative to the module that reads them. */
export const RUNTIME_DATA = [
  "spec/clauses/manual.json", // spec/clauses/index.ts
  "spec/clauses/suite.json", // spec/clauses/index.ts
  "spec/binding.schema.json", // spec/binding-file.ts
  "spec/adapter.schema.json", // runner/adapters/adapter-file.ts
  "spec/runner-result.schema.json", // runner/adapters/batch.ts
  "runner/mutation-score.json", // runner/mutation-score.ts
  "targets/elf", // targets/manifest.ts ELF_DIR, tools/torture/cases.ts: the committed ELFs and manifest.json
];

/** esbuild's metafile of the bundles (inputs of each output), relative to the root. */
export const METAFILE = "dist/metafile.json";

/** Stands for "the relative path from this bundle to dist/" until the bundle's place is known. */
const DIST_ROOT_MARK = "__CAPOS_CONFORM_DIST_ROOT__/";
/** The bundle's own file URL, defined by BANNER. */
const BUNDLE_URL = "__capos_conform_bundle_url";
const BANNER = `var ${BUNDLE_URL} = require("node:url").pathToFileURL(__filename).href;`;

/**
 * Each suite module's `import.meta.url` (and `import.meta.dirname`) becomes the URL (path) of
 * its mirror place in dist/, computed from the bundle's own location at run time.
 */
function mirrorImportMeta(): Plugin {
  return {
    name: "mirror-import-meta",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes("/node_modules/")) return undefined;
        const source = readFileSync(args.path, "utf8");
        if (!source.includes("import.meta")) return undefined;
        const mirror = relative(ROOT, args.path).replace(/\.ts$/, ".js");
        const url = (path: string) => `new URL(${JSON.stringify(DIST_ROOT_MARK + path)}, ${BUNDLE_URL})`;
        const contents = source
          .replaceAll("import.meta.url", `${url(mirror)}.href`)
          .replaceAll("import.meta.dirname", `require("node:url").fileURLToPath(${url(dirname(mirror))})`);
        return { contents, loader: "ts" };
      });
    },
  };
}

/** Run the bin once to record V8's code cache of the bundle (tools/cli/bundle-loader.ts). */
function trainCodeCache(): void {
  // Without NODE_OPTIONS: V8 rejects a cache made under other flags, and users run the bin bare.
  const env: NodeJS.ProcessEnv = { ...process.env, [TRAIN_ENV]: "1" };
  delete env["NODE_OPTIONS"];
  const r = spawnSync(process.execPath, [join(DIST, BIN_FILE)], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`making the code cache failed (exit ${r.status}):\n${r.stderr}`);
}

export async function buildDist(): Promise<void> {
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  writeFileSync(join(DIST, "package.json"), JSON.stringify({ type: "commonjs" }) + "\n");
  const inputs: Record<string, unknown> = {};
  const outputs: Record<string, unknown> = {};
  for (const { out, entry } of BUNDLES) {
    const outfile = join(DIST, out);
    const result = await build({
      entryPoints: [join(ROOT, entry)],
      outfile,
      bundle: true,
      format: "cjs",
      platform: "node",
      target: "node20",
      external: EXTERNAL_PACKAGES,
      banner: { js: out === BIN_FILE ? "#!/usr/bin/env node" : BANNER },
      plugins: [mirrorImportMeta()],
      metafile: true,
      write: false,
      logLevel: "warning",
    });
    const [file] = result.outputFiles;
    const toRoot = relative(dirname(outfile), DIST) || ".";
    mkdirSync(dirname(outfile), { recursive: true });
    writeFileSync(outfile, file!.text.replaceAll(DIST_ROOT_MARK, `${toRoot}/`), { mode: out === BIN_FILE ? 0o755 : 0o644 });
    Object.assign(inputs, result.metafile.inputs);
    Object.assign(outputs, result.metafile.outputs);
  }
  writeFileSync(join(ROOT, METAFILE), JSON.stringify({ inputs, outputs }));
  for (const path of RUNTIME_DATA) cpSync(join(ROOT, path), join(DIST, path), { recursive: true });
  trainCodeCache();
  console.log(`built ${BUNDLES.map((b) => b.out).join(", ")} and the code cache into ${relative(process.cwd(), DIST) || "."}/`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildDist();
