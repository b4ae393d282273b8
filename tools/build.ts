/**
 * `npm run build` (also run by `prepare`, i.e. on `npm ci` and `npm pack`): the capos-conform
 * command as plain JavaScript in dist/, so that it starts without a TypeScript loader and
 * like a native tool (issue 14: `--help` within 150 ms, `run-elf` of a probe within 200 ms).
 * No type check here: `npm test` type-checks.
 *
 * dist/ holds (dist/package.json makes its .js files CommonJS):
 * - tools/cli-core.js and tools/cli-rest.js: the command bundled by esbuild in two CommonJS
 *   parts (tools/cli/code-cache.ts): the core is tools/cli/main.ts with its static imports
 *   (the command table, commander), the rest every module the core loads with `import()`.
 *   In the rest each module initialises only when first asked for, so `run-elf` never runs
 *   fast-check's or the properties' module code, and `--help` never loads the rest at all.
 * - tools/cli-core.cache and tools/cli-rest.cache: V8's code cache of each part after
 *   `--help`, `--version` and `run-elf` of a probe (made by running the bin once, see
 *   tools/cli/bundle-loader.ts), so those starts neither parse nor compile what they run;
 *   each is used only for the part it holds a copy of.
 * - tools/conform.js: the bin (tools/cli/bundle-loader.ts), which runs the parts with their caches.
 * - tools/torture/worker.js: the hostile-input campaign's worker, forked by torture.
 * - the run-time data (RUNTIME_DATA) and metafile.json (esbuild's account of the bundle).
 * Large libraries that only some commands load (ajv, iced-x86, xmlbuilder2) stay in node_modules.
 *
 * Modules find their data files (clauses, schemas, committed ELFs, the mutation score) next to
 * themselves through `import.meta.url`. In a bundle modules share a file, so each
 * module's `import.meta.url` is rewritten to the place the module would have in dist/ as a
 * mirror of the source tree (dist/spec/clauses/index.js for spec/clauses/index.ts), relative
 * to the part's own location; RUNTIME_DATA is copied to those places. The same relative
 * lookups then work from the sources (tests, tsx), from dist/ and from an installed tarball
 * (tools/test/build.test.ts, tools/test/installed.test.ts).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type BuildOptions, type Metafile, type Plugin } from "esbuild";
import { BIN_FILE, CORE_FILE, CORE_PREFIX, MODULES, REST_FILE, REST_PREFIX, TRAIN_ENV } from "./cli/code-cache.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");

/** The command table: its static imports are the core, its `import()`s lead to the rest. */
const CORE_ENTRY = "tools/cli/main.ts";

/** The programs besides the command: output path in dist/ and source entry. */
export const PROGRAMS: readonly { out: string; entry: string }[] = [
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

/** esbuild's metafile of everything built (inputs and outputs), relative to the root. */
export const METAFILE = "dist/metafile.json";

/** Stands for "the relative path from this output to dist/" until the output's place is known. */
const DIST_ROOT_MARK = "__CAPOS_CONFORM_DIST_ROOT__/";
/** The output's own file URL, defined by BANNER. */
const OUTPUT_URL = "__capos_conform_output_url";
const BANNER = `var ${OUTPUT_URL} = require("node:url").pathToFileURL(__filename).href;`;

/**
 * Each suite module's `import.meta.url` (and `import.meta.dirname`) becomes the URL (path) of
 * its mirror place in dist/, computed from the output's own location at run time.
 */
function mirrorImportMeta(): Plugin {
  return {
    name: "mirror-import-meta",
    setup(b) {
      b.onLoad({ filter: /\.ts$/, namespace: "file" }, (args) => {
        if (args.path.includes("/node_modules/")) return undefined;
        const source = readFileSync(args.path, "utf8");
        if (!source.includes("import.meta")) return undefined;
        const mirror = relative(ROOT, args.path).replace(/\.ts$/, ".js");
        const url = (path: string) => `new URL(${JSON.stringify(DIST_ROOT_MARK + path)}, ${OUTPUT_URL})`;
        const contents = source
          .replaceAll("import.meta.url", `${url(mirror)}.href`)
          .replaceAll("import.meta.dirname", `require("node:url").fileURLToPath(${url(dirname(mirror))})`);
        return { contents, loader: "ts" };
      });
    },
  };
}

/** A suite module imported as `./x.js` from the sources: its .ts file, root-relative; else null. */
function suiteModule(specifier: string, resolveDir: string): string | null {
  if (!specifier.startsWith(".")) return null;
  const ts = resolve(resolveDir, specifier.replace(/\.js$/, ".ts"));
  return existsSync(ts) ? relative(ROOT, ts) : null;
}

/**
 * Routes imports to the other part: `external(module, kind)` names the module there, or null.
 * An import() becomes an import() of a shim that re-exports the other part's module: esbuild
 * would turn an import() of the external module itself into Node's CommonJS interop (the whole
 * module as `default`), not the module's own exports.
 */
function partition(external: (module: string, kind: string) => string | null): Plugin {
  const SHIM = "capos-conform-shim";
  return {
    name: "partition",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.namespace === SHIM) return { path: args.path, external: true }; // the shim's import of the other part
        if (args.kind === "entry-point" || args.resolveDir.includes("/node_modules")) return undefined; // packages keep their own imports
        const module = suiteModule(args.path, args.resolveDir) ?? (/^[a-z@]/.test(args.path) && !args.path.startsWith("node:") ? args.path : null);
        const path = module === null ? null : external(module, args.kind);
        if (path === null) return undefined;
        return args.kind === "dynamic-import" ? { path, namespace: SHIM } : { path, external: true };
      });
      b.onLoad({ filter: /.*/, namespace: SHIM }, (args) => ({
        contents: `export * from ${JSON.stringify(args.path)};\nexport { default } from ${JSON.stringify(args.path)};\n`,
        loader: "js",
      }));
    },
  };
}

/**
 * Node built-ins that bundled packages load at their top level but use only on rare paths:
 * commander requires node:child_process (and with it net, dgram and the streams, several
 * milliseconds) for git-style subcommand executables, which capos-conform never uses. Such a
 * require gets an object that loads the built-in when a property is first read.
 */
const LAZY_BUILTINS = ["node:child_process"];

function lazyBuiltins(): Plugin {
  const NS = "capos-conform-lazy-builtin";
  return {
    name: "lazy-builtins",
    setup(b) {
      b.onResolve({ filter: /^(node:)?child_process$/ }, (args) => {
        const builtin = args.path.startsWith("node:") ? args.path : `node:${args.path}`;
        return args.importer.includes("/node_modules/") && LAZY_BUILTINS.includes(builtin) ? { path: builtin, namespace: NS } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: NS }, (args) => ({
        contents: `let m;
module.exports = new Proxy({}, { get: (_, key) => (m ??= require(${JSON.stringify(args.path)}))[key] });
`,
        loader: "js",
      }));
    },
  };
}

/** An entry of the given CommonJS text, resolving from the root. */
function virtualEntry(contents: string): Plugin {
  return {
    name: "virtual-entry",
    setup(b) {
      b.onResolve({ filter: /^capos-conform-entry$/ }, () => ({ path: "entry", namespace: "capos-conform-entry" }));
      b.onLoad({ filter: /.*/, namespace: "capos-conform-entry" }, () => ({ contents, loader: "js", resolveDir: ROOT }));
    },
  };
}

const COMMON: BuildOptions = {
  absWorkingDir: ROOT, // metafile paths relative to the root, as suiteModule names modules
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external: EXTERNAL_PACKAGES,
  // An import() of the other part becomes a require() the bin answers (tools/cli/bundle-loader.ts).
  supported: { "dynamic-import": false },
  metafile: true,
  write: false,
  logLevel: "warning",
};

/**
 * The text with every non-ASCII UTF-16 unit as a \u escape. esbuild escapes them in strings and
 * identifiers already but keeps comments as written; an ASCII part is read as latin1, several
 * times faster than utf8 (tools/cli/bundle-loader.ts).
 */
function asciiOnly(text: string): string {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Bundle one output; its text with DIST_ROOT_MARK resolved, written to dist/; its metafile. */
async function bundle(out: string, options: BuildOptions): Promise<Metafile> {
  const outfile = join(DIST, out);
  const result = await build({ ...COMMON, ...options, outfile, plugins: [mirrorImportMeta(), lazyBuiltins(), ...(options.plugins ?? [])] });
  const toRoot = relative(dirname(outfile), DIST) || ".";
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileSync(outfile, asciiOnly(result.outputFiles![0]!.text.replaceAll(DIST_ROOT_MARK, `${toRoot}/`)), { mode: out === BIN_FILE ? 0o755 : 0o644 });
  return result.metafile!;
}

/** The modules a part gives the other: `modules` maps each name to its module, `lazy` initialises each when first asked for. */
function modulesEntry(names: readonly string[], lazy: boolean): string {
  const path = (name: string) => JSON.stringify(name.endsWith(".ts") ? join(ROOT, name) : name);
  const fields = names.map((n) => (lazy ? `get ${JSON.stringify(n)}() { return require(${path(n)}); }` : `${JSON.stringify(n)}: require(${path(n)})`));
  return `module.exports = { ${MODULES}: {\n  ${fields.join(",\n  ")}\n} };\n`;
}

/** A module or package name of each suite input (.ts) and bundled package of a metafile. */
function modulesOf(metafile: Metafile): string[] {
  return [...new Set(Object.keys(metafile.inputs).flatMap((i) => {
    const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(i);
    return pkg ? [pkg[1]!] : i.endsWith(".ts") && !i.includes(":") ? [i] : []; // not the shims (namespace:path)
  }))].sort();
}

/** The core and the rest of the command (tools/cli/code-cache.ts). */
async function bundleCommand(): Promise<Metafile[]> {
  // 1. The core: the command table's static imports; what it loads with import() is the rest.
  const lazy = new Set<string>();
  const probe = await build({
    ...COMMON,
    entryPoints: [join(ROOT, CORE_ENTRY)],
    outfile: join(DIST, CORE_FILE),
    plugins: [mirrorImportMeta(), partition((m, kind) => (kind === "dynamic-import" ? (lazy.add(m), REST_PREFIX + m) : null))],
  });
  const core = new Set(modulesOf(probe.metafile!));
  const rest = [...lazy].filter((m) => !core.has(m)).sort();
  const coreMeta = await bundle(CORE_FILE, {
    entryPoints: ["capos-conform-entry"],
    banner: { js: BANNER },
    plugins: [virtualEntry(modulesEntry([...core], false)), partition((m, kind) => (kind === "dynamic-import" && !core.has(m) ? REST_PREFIX + m : null))],
  });
  // 2. The rest: every module it shares with the core comes from the core.
  const restMeta = await bundle(REST_FILE, {
    entryPoints: ["capos-conform-entry"],
    banner: { js: BANNER },
    plugins: [virtualEntry(modulesEntry(rest, true)), partition((m) => (core.has(m) ? CORE_PREFIX + m : null))],
  });
  return [coreMeta, restMeta];
}

/**
 * Run the bin once to record V8's code caches of the parts (tools/cli/bundle-loader.ts). A
 * failure leaves the bin without caches (slower, still whole) and says so: the tests that run
 * the bin and check the caches then show what broke.
 */
function trainCodeCache(): boolean {
  // Without NODE_OPTIONS: V8 rejects a cache made under other flags, and users run the bin bare.
  const env: NodeJS.ProcessEnv = { ...process.env, [TRAIN_ENV]: "1" };
  delete env["NODE_OPTIONS"];
  const r = spawnSync(process.execPath, [join(DIST, BIN_FILE)], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status === 0) return true;
  console.error(`build: WARNING: no code cache, the command will start slower: the training run of the bin exited with ${r.status}:\n${r.stderr}`);
  return false;
}

export async function buildDist(): Promise<void> {
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  writeFileSync(join(DIST, "package.json"), JSON.stringify({ type: "commonjs" }) + "\n");
  const metafiles = await bundleCommand();
  for (const { out, entry } of PROGRAMS) metafiles.push(await bundle(out, { entryPoints: [join(ROOT, entry)], ...(out === BIN_FILE ? { banner: { js: "#!/usr/bin/env node" } } : { banner: { js: BANNER } }) }));
  const merged = { inputs: Object.assign({}, ...metafiles.map((m) => m.inputs)), outputs: Object.assign({}, ...metafiles.map((m) => m.outputs)) };
  writeFileSync(join(ROOT, METAFILE), JSON.stringify(merged));
  for (const path of RUNTIME_DATA) cpSync(join(ROOT, path), join(DIST, path), { recursive: true });
  const cached = trainCodeCache();
  console.log(`built ${[CORE_FILE, REST_FILE, ...PROGRAMS.map((p) => p.out)].join(", ")}${cached ? " and their code caches" : ""} into ${relative(process.cwd(), DIST) || "."}/`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildDist();
