/**
 * `conform run-elf --personality capos --batch`: the emulator speaking the batch form of the
 * runner protocol (spec/runner-protocol.md). Reads one ELF path per line on stdin, runs each
 * in a fresh machine in this process, and writes one JSON result line per case
 * (spec/runner-result.schema.json); exits 0 at EOF. Diagnostics go to stderr only.
 */
import { readFileSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { loadBindingFile } from "../../spec/binding-file.js";
import type { Binding } from "../../spec/binding.js";
import type { EndState } from "../../spec/run-protocol.js";
import { MUTANT_NAMES, runCapos, type MutantName } from "../../emulator/capos/index.js";
import { describeEnd, exitStatus } from "../../emulator/capos/cli.js";

/** Version string in every result line. */
export const EMULATOR_VERSION = "capos-conform emulator 0.1.0";
/** Larger files are not ELF images a case would use (and reading them could exhaust memory). */
const MAX_IMAGE_BYTES = 64 << 20;

export interface BatchRunOptions {
  readonly binding?: string;
  readonly mutant?: string;
  readonly maxInsns?: string;
  readonly maxPages?: string;
}

/** The detail text of an end state: the protocol's `#PF at 0x<hex> <access> thread <n>` for a #PF. */
export function endDetail(end: EndState): string {
  if (end.kind === "exit") return "";
  if (end.kind === "fault" && end.fault === "#PF" && end.addr !== undefined)
    return `#PF at 0x${end.addr.toString(16)}${end.access ? ` ${end.access}` : ""}${end.thread !== undefined ? ` thread ${end.thread}` : ""}`;
  return describeEnd(end);
}

function resultLine(elf: string, status: number, console: Uint8Array, detail: string): string {
  return JSON.stringify({ v: 1, status, console: Buffer.from(console).toString("base64"), ...(detail ? { detail } : {}), elf, version: EMULATOR_VERSION }) + "\n";
}

export async function runCaposBatch(o: BatchRunOptions): Promise<number> {
  const fail = (msg: string) => {
    process.stderr.write(`run-elf --batch: ${msg}\n`);
    return 64;
  };
  if (o.mutant !== undefined && !(MUTANT_NAMES as readonly string[]).includes(o.mutant)) return fail(`unknown mutant ${o.mutant}`);
  const maxInsns = o.maxInsns !== undefined ? Number(o.maxInsns) : undefined;
  const maxPages = o.maxPages !== undefined ? Number(o.maxPages) : undefined;
  if (maxInsns !== undefined && !(Number.isSafeInteger(maxInsns) && maxInsns > 0)) return fail(`bad --max-insns ${o.maxInsns}`);
  if (maxPages !== undefined && !(Number.isSafeInteger(maxPages) && maxPages > 0)) return fail(`bad --max-pages ${o.maxPages}`);
  let binding: Binding | undefined;
  try {
    if (o.binding !== undefined) binding = loadBindingFile(o.binding);
  } catch (e) {
    return fail((e as Error).message);
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const path of lines) {
    let out: string;
    let image: Uint8Array | undefined;
    try {
      const st = statSync(path);
      if (!st.isFile()) throw new Error("not a regular file");
      if (st.size > MAX_IMAGE_BYTES) throw new Error(`larger than ${MAX_IMAGE_BYTES} bytes`);
      image = new Uint8Array(readFileSync(path));
    } catch (e) {
      out = resultLine(path, 126, new Uint8Array(), `cannot read ${path}: ${(e as Error).message}`);
    }
    if (image) {
      const r = runCapos(image, {
        ...(binding ? { binding } : {}),
        ...(maxInsns !== undefined ? { maxInsns } : {}),
        ...(maxPages !== undefined ? { maxPages } : {}),
        ...(o.mutant ? { mutant: o.mutant as MutantName } : {}),
      });
      out = resultLine(path, exitStatus(r.end), r.console, endDetail(r.end));
    }
    await new Promise<void>((done) => process.stdout.write(out!, () => done()));
  }
  return 0;
}
