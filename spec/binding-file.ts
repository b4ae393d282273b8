/**
 * Reading and writing a binding as a JSON file, so an implementation can bring its own.
 *
 * `loadBindingFile` validates against spec/binding.schema.json (ajv) and then checks the
 * cross-field rules a schema cannot state (layouts fit, queues fit the ring page). Every
 * problem is a `BindingError` naming the field as a JSON pointer.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import type { Binding } from "./binding.js";
import { DEFAULT_BINDING } from "./binding.js";
import { bindingLayoutProblems } from "./binding-checks.js";
import { InputFileError, readInputText } from "./input-file.js";

/** A binding file that cannot be used; `field` is a JSON pointer such as `/ring/sqEntries`. */
export class BindingError extends Error {
  override readonly name = "BindingError";
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly source: string,
  ) {
    super(`${source}: binding field ${field || "/"} ${problem}`);
  }
}

const BIGINT_FIELDS = [
  ["syscall", "capEnterWaitForever"],
  ["park", "timeoutForever"],
] as const;

const SCHEMA_PATH = fileURLToPath(new URL("./binding.schema.json", import.meta.url));

let validator: ReturnType<Ajv["compile"]> | undefined;
function validate(json: unknown): ReturnType<Ajv["compile"]>["errors"] {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    validator = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, "utf8")));
  }
  return validator(json) ? null : validator.errors;
}

const hex = (v: bigint) => "0x" + v.toString(16);

/** The JSON form of a binding (bigints as hex strings). */
export function bindingToJson(b: Binding = DEFAULT_BINDING): unknown {
  return JSON.parse(
    JSON.stringify(b, (_key, value) => (typeof value === "bigint" ? hex(value) : value)),
  );
}

/** Validate a parsed JSON value and turn it into a typed Binding. */
export function parseBinding(json: unknown, source = "<binding>"): Binding {
  const errors = validate(json);
  if (errors && errors.length > 0) {
    const first = errors[0]!;
    const extra =
      first.keyword === "additionalProperties"
        ? ` (unknown field "${String((first.params as { additionalProperty: string }).additionalProperty)}")`
        : first.keyword === "required"
          ? ` (missing "${String((first.params as { missingProperty: string }).missingProperty)}")`
          : "";
    throw new BindingError(first.instancePath, `${first.message ?? "is invalid"}${extra}`, source);
  }
  const obj = structuredClone(json) as Record<string, Record<string, unknown>>;
  for (const [group, key] of BIGINT_FIELDS) obj[group]![key] = BigInt(obj[group]![key] as string);
  const interfaces = obj["interfaces"]!;
  for (const name of Object.keys(interfaces)) interfaces[name] = BigInt(interfaces[name] as string);
  const binding = obj as unknown as Binding;
  const problems = bindingLayoutProblems(binding);
  if (problems.length > 0) throw new BindingError(problems[0]!.field, problems[0]!.problem, source);
  return binding;
}

/** Load and validate a binding JSON file. */
export function loadBindingFile(path: string): Binding {
  let text: string;
  try {
    // A binding is a few kilobytes; 1 MiB leaves room and stops /dev/zero-like inputs.
    text = readInputText(path, { maxBytes: 1 << 20 });
  } catch (e) {
    throw new BindingError("", `cannot be read: ${e instanceof InputFileError ? e.problem : (e as Error).message}`, path);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BindingError("", `is not JSON: ${(e as Error).message}`, path);
  }
  return parseBinding(json, path);
}
