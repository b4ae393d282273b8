/**
 * The capos-conform bin of the built package (tools/build.ts writes it to
 * dist/tools/conform.js, CommonJS): it runs the command, bundled by esbuild into a core and
 * a rest (tools/cli/code-cache.ts), each through V8's code cache of it, so a start neither
 * parses the bundle nor compiles the functions a usual start runs, and `--help` loads only
 * the core (issue 14: `--help` within 150 ms, `run-elf` of a probe within 200 ms). From the
 * sources, tools/conform.ts is the entry instead and this file plays no part.
 *
 * A cache is used only for the exact bytes it was made from: it holds a copy of its part,
 * compared here byte for byte before V8 sees the cache (V8 itself checks only the source's
 * length, its own version and its flags, and rejects the cache on a mismatch of those; a hash
 * would cost more to load than the comparison). Any mismatch, or no cache at all, means an
 * ordinary compile: slower, never different.
 *
 * The build makes the caches by running this file with TRAIN_ENV set: it then runs the
 * command lines of TRAINING (output discarded by the build) and writes the cache of
 * everything each part compiled.
 */
import { isAscii } from "node:buffer";
import { readFileSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Script } from "node:vm";
import { endQuietlyWhenStdoutCloses } from "./stdout-closed.js";
import { CORE_FILE, CORE_PREFIX, MODULES, REST_FILE, REST_PREFIX, TRAIN_ENV, cacheFileOf } from "./code-cache.js";

/** dist/: this file is dist/tools/conform.js (BIN_FILE). */
const DIST = join(__dirname, "..");
const training = process.env[TRAIN_ENV] !== undefined;

/** The command lines whose compiled functions the caches hold: the starts that must be quick. */
const TRAINING: readonly (readonly string[])[] = [
  ["--help"],
  ["--version"],
  ["run-elf", "--personality", "capos", join(DIST, "targets/elf/tls-probe.gcc")],
];

/**
 * V8 flags for a command whose usual run is short, set once both parts are compiled (V8 takes a
 * code cache only under the flags it was made with, and the training run keeps the defaults).
 *
 * run-elf of a probe runs about 22,000 guest instructions; within them V8 finds the
 * interpreter's loop (interpret(), 5 KB of bytecode) hot and starts an optimising compile of it
 * that takes ~60 ms of CPU on another thread. It cannot finish before the guest does, so its
 * result is never used, and the process waits for it at exit (Node joins V8's worker threads,
 * even on process.exit): 20-45 ms of a 180 ms command on a quiet machine. V8 asks a function
 * for 3 + (bytecode length / this allowance) ticks of its run before optimising it: 10 instead
 * of 150 lets no probe in targets/elf reach it for interpret() (now ~10.7 KB: 74 -> 1,072 ticks),
 * leaves functions under ~150 bytes as they were, and in a long run only starts the big ones'
 * compiles somewhat later (busybox sha256sum of 1 MiB on stdin: within noise). 20 sufficed
 * until the interpreter's priming at load (emulator/cpu/run.ts) grew to reach every path: then
 * tls-probe crossed the bar again and run-elf of it went from ~180 to ~280 ms, 119 ms of that
 * waiting for the unused compile (tools/test/installed.test.ts checks every probe). 6 since
 * interpret() keeps guest addresses in int32 halves (more bytecode per memory form, 17.8 ->
 * 18.9 KB under tsx): tls-probe.rust then crossed the bar at 9 and above (it had crossed it at
 * 14, not at 12), so 6 keeps about the margin 10 had.
 * Other commands (run, fuzz: seconds of checks) keep V8's defaults.
 */
export const SHORT_RUN_V8_FLAGS: Readonly<Record<string, string>> = { "run-elf": "--bytecode-size-allowance-per-tick=6" };

type Namespaces = Record<string, object>;

interface Part {
  readonly modules: Namespaces;
  /** Write this part's code cache (training). */
  readonly saveCache: () => void;
}

/** The cache file: the part's length (u32 LE), the part, V8's code cache of it. */
function cacheFile(part: Buffer, cachedData: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(part.length);
  return Buffer.concat([length, part, cachedData]);
}

/** V8's code cache of exactly `part`, or undefined. */
function cachedDataFor(part: Buffer, path: string): Buffer | undefined {
  let cache: Buffer;
  try {
    cache = readFileSync(path);
  } catch {
    return undefined;
  }
  const end = 4 + part.length;
  return cache.length > end && cache.readUInt32LE(0) === part.length && part.equals(cache.subarray(4, end)) ? cache.subarray(end) : undefined;
}

/**
 * A module of the other part as an `import()` or `import` of it expects: its exports, live,
 * marked as an ES module so that its default export stays `default`.
 */
function asImported(modules: Namespaces, id: string, prefix: string): object {
  const ns = modules[id.slice(prefix.length)] as Record<string, unknown> | undefined;
  if (!ns) throw new Error(`capos-conform: the bundle has no module ${id}`);
  const imported = Object.defineProperty({}, "__esModule", { value: true });
  for (const name of Object.keys(ns)) Object.defineProperty(imported, name, { get: () => ns[name], enumerable: true });
  return imported;
}

/** Compile and run one part as Node runs a CommonJS module, with `other` for the other part's modules. */
function loadPart(file: string, prefix: string, other: () => Namespaces): Part {
  const path = join(DIST, file);
  const bytes = readFileSync(path);
  const cachePath = join(DIST, cacheFileOf(file));
  const cachedData = training ? undefined : cachedDataFor(bytes, cachePath);
  // The build writes ASCII (tools/build.ts); latin1 decodes it as utf8 would, several times faster.
  const text = isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
  const script = new Script(Module.wrap(text), { filename: path, ...(cachedData ? { cachedData } : {}) });
  const base = createRequire(path);
  const imported = new Map<string, object>();
  const fromOther = (id: string): object => imported.get(id) ?? imported.set(id, asImported(other(), id, prefix)).get(id)!;
  const require = Object.assign((id: string) => (id.startsWith(prefix) ? fromOther(id) : base(id)), base);
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, path, dirname(path));
  return { modules: module.exports[MODULES] as Namespaces, saveCache: () => writeFileSync(cachePath, cacheFile(bytes, script.createCachedData())) };
}

async function start(): Promise<number> {
  endQuietlyWhenStdoutCloses();
  let rest: Part | undefined;
  const loadRest = (): Part => {
    const part = loadPart(REST_FILE, CORE_PREFIX, () => core.modules);
    const flags = SHORT_RUN_V8_FLAGS[process.argv[2] ?? ""];
    // node:v8 loads Node's stream modules (a few ms): only when there are flags to set.
    if (flags !== undefined && !training) (require("node:v8") as typeof import("node:v8")).setFlagsFromString(flags);
    return part;
  };
  const core: Part = loadPart(CORE_FILE, REST_PREFIX, () => (rest ??= loadRest()).modules);
  const { main } = core.modules["tools/cli/main.ts"] as { main: (argv: readonly string[]) => Promise<number> };
  if (!training) return main(process.argv);
  for (const args of TRAINING) {
    const status = await main([process.argv[0]!, process.argv[1]!, ...args]);
    if (status !== 0) throw new Error(`code-cache training: \`capos-conform ${args.join(" ")}\` exited with ${status}`);
  }
  core.saveCache();
  if (!rest) throw new Error("code-cache training: no command line loaded the rest of the bundle");
  rest.saveCache();
  return 0;
}

void start().then((status) => {
  process.exitCode = status;
});
