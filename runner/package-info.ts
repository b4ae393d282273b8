/**
 * The package's own name, version and root folder, found by walking up from this module to
 * the package.json that names capos-conform: the same answer from the sources (tsx, tests),
 * from the compiled dist/ and from an installed copy.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  readonly root: string;
}

let cached: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "capos-conform") return (cached = { name: pkg.name, version: pkg.version ?? "0.0.0", root: dir });
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("capos-conform: package.json not found above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}
