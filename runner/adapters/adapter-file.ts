/**
 * Adapter files: a small JSON file that describes an implementation under test (its command,
 * the runner protocol it speaks, its per-case limit and version), the way wasi-testsuite
 * adapters describe a runtime. `conform run --impl path/to/impl.json` (or `adapter:<path>`).
 * The format is spec/adapter.schema.json; a bad file is one line naming the first bad field.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Ajv } from "ajv";
import { parseDuration } from "../../spec/run-protocol.js";
import type { Implementation } from "../../spec/implementation.js";
import { UsageError } from "../errors.js";
import { batchImplementation } from "./batch.js";
import { commandImplementation } from "./command.js";

export interface AdapterFile {
  readonly name: string;
  readonly version: string;
  readonly command: string;
  readonly protocol: "per-case" | "batch";
  readonly caseTimeout?: string;
  readonly outputLimit?: number;
  readonly cwd?: string;
  readonly abilities?: readonly string[];
}

const validate = new Ajv({ allErrors: false }).compile<AdapterFile>(
  JSON.parse(readFileSync(new URL("../../spec/adapter.schema.json", import.meta.url), "utf8")),
);

export function isAdapterSpec(spec: string): boolean {
  return spec.startsWith("adapter:") || spec.endsWith(".json");
}

/** Read and check an adapter file; `caseTimeoutMs` (from the command line) overrides its caseTimeout. */
export function loadAdapterFile(spec: string, overrides: { caseTimeoutMs?: number } = {}): Implementation {
  const path = resolve(spec.startsWith("adapter:") ? spec.slice("adapter:".length) : spec);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`adapter file ${path}: ${(e as Error).message}`);
  }
  if (!validate(data)) {
    const e = validate.errors?.[0];
    const where = e?.instancePath || "/";
    const detail = e?.keyword === "maxItems" && where === "/abilities" ? "must be empty: runner protocol v1 carries no schedule or inspection" : e?.message;
    throw new UsageError(`adapter file ${path}: field ${where} ${detail ?? "is invalid"}`);
  }
  const timeoutMs = overrides.caseTimeoutMs ?? (data.caseTimeout !== undefined ? parseDuration(data.caseTimeout) : undefined);
  if (data.caseTimeout !== undefined && timeoutMs === undefined) throw new UsageError(`adapter file ${path}: field /caseTimeout must be a positive duration`);
  const options = {
    // The id is what repro lines pass back to --impl, so it is the file as given.
    id: spec,
    version: `${data.name} ${data.version}`,
    cwd: resolve(dirname(path), data.cwd ?? "."),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(data.outputLimit !== undefined ? { outputLimit: data.outputLimit } : {}),
  };
  if (data.protocol === "per-case") {
    if (!data.command.includes("{elf}")) throw new UsageError(`adapter file ${path}: field /command must contain {elf} for the per-case protocol`);
    return commandImplementation(data.command, options);
  }
  return batchImplementation(data.command, options);
}
