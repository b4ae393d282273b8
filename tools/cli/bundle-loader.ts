/**
 * The capos-conform bin of the built package (tools/build.ts writes it to
 * dist/tools/conform.js, CommonJS): it runs the whole command, bundled by esbuild into
 * dist/tools/cli.js, through V8's code cache of that bundle (dist/tools/cli.cache), so a start
 * neither parses the bundle nor compiles the functions a usual start runs (issue 14: `--help`
 * within 150 ms, `run-elf` of a probe within 200 ms). From the sources, tools/conform.ts is
 * the entry instead and this file plays no part.
 *
 * The cache is used only for the exact bytes it was made from: it holds a copy of the bundle,
 * compared here byte for byte before V8 sees the cache (V8 itself checks only the source's
 * length, its own version and its flags, and rejects the cache on a mismatch of those; a hash
 * would cost more to load than the comparison). Any mismatch, or no cache at all, means an
 * ordinary compile: slower, never different.
 *
 * The build makes the cache by running this file with CAPOS_CONFORM_TRAIN_CODE_CACHE set:
 * it then runs the command lines of TRAINING (output discarded by the build) and writes the
 * cache of everything they compiled.
 */
import { readFileSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Script } from "node:vm";
import { BUNDLE_FILE, CACHE_FILE, TRAIN_ENV } from "./code-cache.js";

/** dist/: this file is dist/tools/conform.js (BIN_FILE). */
const DIST = join(__dirname, "..");
const BUNDLE = join(DIST, BUNDLE_FILE);
const CACHE = join(DIST, CACHE_FILE);

/** The command lines whose compiled functions the cache holds: the starts that must be quick. */
const TRAINING: readonly (readonly string[])[] = [
  ["--help"],
  ["--version"],
  ["run-elf", "--personality", "capos", join(DIST, "targets/elf/tls-probe.gcc")],
];

type Main = (argv: readonly string[]) => Promise<number>;

/** The cache file: the bundle's length (u32 LE), the bundle, V8's code cache of it. */
function cacheFile(bundle: Buffer, cachedData: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(bundle.length);
  return Buffer.concat([length, bundle, cachedData]);
}

/** V8's code cache of exactly `bundle`, or undefined. */
function cachedDataFor(bundle: Buffer): Buffer | undefined {
  let cache: Buffer;
  try {
    cache = readFileSync(CACHE);
  } catch {
    return undefined;
  }
  const end = 4 + bundle.length;
  return cache.length > end && cache.readUInt32LE(0) === bundle.length && bundle.equals(cache.subarray(4, end)) ? cache.subarray(end) : undefined;
}

async function start(): Promise<number> {
  const bytes = readFileSync(BUNDLE);
  const training = process.env[TRAIN_ENV] !== undefined;
  const cachedData = training ? undefined : cachedDataFor(bytes);
  // Compiled and called exactly as Node compiles a CommonJS module, so the bundle sees the
  // usual require, module and __filename.
  const script = new Script(Module.wrap(bytes.toString("utf8")), { filename: BUNDLE, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as { main?: Main } };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  const main = module.exports.main!;
  if (!training) return main(process.argv);
  for (const args of TRAINING) {
    const status = await main([process.argv[0]!, process.argv[1]!, ...args]);
    if (status !== 0) throw new Error(`code-cache training: \`capos-conform ${args.join(" ")}\` exited with ${status}`);
  }
  writeFileSync(CACHE, cacheFile(bytes, script.createCachedData()));
  return 0;
}

void start().then((status) => {
  process.exitCode = status;
});
