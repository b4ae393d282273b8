/**
 * The committed ELFs: targets/elf and the manifest targets/build.sh writes beside them.
 * Read by the properties (which run the probes) and the runner (which finds the agent).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ELF_DIR = fileURLToPath(new URL("./elf/", import.meta.url));

export interface ManifestEntry {
  readonly name: string;
  readonly program: string;
  readonly toolchain: string;
  readonly version: string;
  readonly flags: string;
  readonly sha256: string;
  readonly size: number;
}

/** The ELFs listed in `<dir>/manifest.json` (default: the committed targets/elf). */
export function manifestEntries(dir = ELF_DIR): ManifestEntry[] {
  const path = join(dir, "manifest.json");
  if (!existsSync(path)) return [];
  return (JSON.parse(readFileSync(path, "utf8")) as { elfs: ManifestEntry[] }).elfs;
}
