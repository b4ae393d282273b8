/**
 * Regenerate the capnp-es TypeScript for spec/schema/capos.capnp.
 *
 * Usage: npm run gen:capnp [-- OUTDIR]   (default spec/schema/gen)
 * Needs the `capnp` compiler (Debian package `capnproto`); the output is committed so that
 * nothing else needs it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const specDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = resolve(specDir, "..");

/** Run the capnp compiler with capnp-es's TypeScript plugin into `outDir`. */
export function generateCapnp(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const plugin = join(repoRoot, "node_modules", ".bin", "capnpc-ts");
  execFileSync("capnp", ["compile", `-o${plugin}:${outDir}`, "--src-prefix=schema", "schema/capos.capnp"], {
    cwd: specDir,
    stdio: ["ignore", "ignore", "inherit"],
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? join(specDir, "schema", "gen"));
  generateCapnp(out);
  console.log(`generated ${join(out, "capos.ts")}`);
}
