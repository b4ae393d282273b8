/**
 * `npm run build` (also run by `prepare`, i.e. on `npm ci` and `npm pack`): the capos-conform
 * command as plain JavaScript in dist/, so that it starts without a TypeScript loader and
 * like a native tool (issue 14: `--help` within 150 ms, `run-elf` of a probe within 200 ms).
 *
 * esbuild bundles the command with code splitting (no type check: `npm test` type-checks):
 * `dist/tools/conform.js` holds only what every command line needs (commander and the
 * command table), and each `import()` of a command's implementation becomes a chunk in
 * dist/chunks/ that loads only when that command runs, so `--help` never compiles the
 * emulator and `run-elf` never compiles fast-check, the properties or the report writers.
 * Libraries that are loaded on demand and large (ajv, iced-x86, xmlbuilder2) stay in
 * node_modules.
 *
 * Modules find their data files (clauses, schemas, committed ELFs, the mutation score) next to
 * themselves through `import.meta.url`. In a bundle every module lives in some chunk, so each
 * module's `import.meta.url` is rewritten to the place the module would have in dist/ as a
 * mirror of the source tree (dist/spec/clauses/index.js for spec/clauses/index.ts), relative
 * to the chunk it ends up in; RUNTIME_DATA is copied to those places. The same relative
 * lookups then work from the sources (tests, tsx), from dist/ and from an installed tarball
 * (tools/test/build.test.ts, tools/test/installed.test.ts).
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");

/** The programs dist/ holds, by their path in dist/ (without .js). */
export const ENTRY_POINTS: Readonly<Record<string, string>> = {
  "tools/conform": "tools/conform.ts", // package.json bin
  "tools/torture/worker": "tools/torture/worker.ts", // forked by tools/torture/campaign.ts
};

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

/** The esbuild metafile of the last build (inputs of each output), for the start-up tests. */
export const METAFILE = "dist/metafile.json";

/** Stands for "the relative path from this output file to dist/" until the chunk is known. */
const DIST_ROOT_MARK = "__CAPOS_CONFORM_DIST_ROOT__/";

/**
 * Each suite module's `import.meta.url` (and `import.meta.dirname`) becomes the URL of its
 * mirror place in dist/, computed from the chunk's own `import.meta.url` at run time.
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
        const url = `new URL(${JSON.stringify(DIST_ROOT_MARK + mirror)}, import.meta.url).href`;
        const dir = `__capos_conform_fileURLToPath(new URL(${JSON.stringify(DIST_ROOT_MARK + dirname(mirror))}, import.meta.url))`;
        let contents = source.replaceAll("import.meta.url", url);
        if (contents.includes("import.meta.dirname"))
          contents = `import { fileURLToPath as __capos_conform_fileURLToPath } from "node:url";\n${contents.replaceAll("import.meta.dirname", dir)}`;
        return { contents, loader: "ts" };
      });
    },
  };
}

export async function buildDist(): Promise<void> {
  rmSync(DIST, { recursive: true, force: true });
  const result = await build({
    entryPoints: Object.entries(ENTRY_POINTS).map(([out, src]) => ({ out, in: join(ROOT, src) })),
    outdir: DIST,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    chunkNames: "chunks/[name]-[hash]",
    external: EXTERNAL_PACKAGES,
    // Bundled CommonJS packages (commander, cli-progress) require() Node's built-ins.
    banner: { js: 'import { createRequire as __capos_conform_createRequire } from "node:module";\nconst require = __capos_conform_createRequire(import.meta.url);' },
    plugins: [mirrorImportMeta()],
    metafile: true,
    write: false,
    logLevel: "warning",
  });
  for (const file of result.outputFiles) {
    const toRoot = relative(dirname(file.path), DIST) || ".";
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.text.replaceAll(DIST_ROOT_MARK, `${toRoot}/`));
  }
  writeFileSync(join(ROOT, METAFILE), JSON.stringify(result.metafile));
  for (const path of RUNTIME_DATA) cpSync(join(ROOT, path), join(DIST, path), { recursive: true });
  console.log(`built ${Object.keys(ENTRY_POINTS).length} programs (${result.outputFiles.length} files) into ${relative(process.cwd(), DIST) || "."}/`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildDist();
