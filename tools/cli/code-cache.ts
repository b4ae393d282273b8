/**
 * Names shared by the build (tools/build.ts) and the bin it writes (tools/cli/bundle-loader.ts).
 *
 * The command is bundled in two parts, each with V8's code cache of it: the core (the command
 * table and what every command line needs: tools/cli/main.ts and its static imports,
 * commander) and the rest (every module the core loads with `import()`: each command's
 * implementation, the emulator, the properties ...). `--help` compiles only the core. A module
 * is in exactly one part; each part reaches the other's modules through `require(PREFIX +
 * source path)`, which the bin answers from the other part's MODULES, so every module has one
 * instance.
 */
/** The parts, relative to dist/. */
export const CORE_FILE = "tools/cli-core.js";
export const REST_FILE = "tools/cli-rest.js";
/** Each part's cache file: the part's length (u32 LE) and bytes, then V8's code cache of it. */
export const cacheFileOf = (part: string): string => part.replace(/\.js$/, ".cache");
/** The bin, relative to dist/ (package.json `bin`). */
export const BIN_FILE = "tools/conform.js";
/** What a part imports from the other: PREFIX + the module's source path (e.g. tools/cli/run.ts). */
export const CORE_PREFIX = "capos-conform-core:";
export const REST_PREFIX = "capos-conform-rest:";
/** The export of each part that maps source paths (or package names) to module namespaces. */
export const MODULES = "modules";
/** Set (to anything) in the environment of the bin: run the training command lines and write the caches. */
export const TRAIN_ENV = "CAPOS_CONFORM_TRAIN_CODE_CACHE";
