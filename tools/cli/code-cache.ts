/**
 * Names shared by the build (tools/build.ts) and the bin it writes (tools/cli/bundle-loader.ts):
 * where the bundled command and V8's code cache of it live in dist/, and how the build asks
 * the bin to make that cache.
 */
/** The bundled command, relative to dist/. */
export const BUNDLE_FILE = "tools/cli.js";
/** BUNDLE_FILE's length (u32 LE) and bytes, then V8's code cache of it (tools/cli/bundle-loader.ts). */
export const CACHE_FILE = "tools/cli.cache";
/** The bin, relative to dist/ (package.json `bin`). */
export const BIN_FILE = "tools/conform.js";
/** Set (to anything) in the environment of the bin: run the training command lines and write CACHE_FILE. */
export const TRAIN_ENV = "CAPOS_CONFORM_TRAIN_CODE_CACHE";
