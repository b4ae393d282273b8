/**
 * Runs any external implementation as a process per case: `cmd:'<command> {elf}'`
 * (spec/runner-protocol.md, per-case form).
 *
 * The image is written to a file in a fresh private directory; the command runs as
 * `sh -c <command> capos-conform <path>` with every `{elf}` reading "$1", so the path is never
 * spliced into shell text whatever quotes the user wrote. stdout is the Console output and
 * the exit status the end state (spec/run-protocol.ts COMMAND_STATUS). The command leads its
 * own process group: at the per-case wall-clock limit, when stdout or stderr passes its cap,
 * and after the command exits, the whole group is killed, so nothing it forked is left
 * running. Such an implementation cannot be scheduled or inspected, so properties that need
 * that are reported unsupported.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { caseEndFromStatus, type CaseEnd, type LimitEnd } from "../../spec/run-protocol.js";
import type { Implementation, ImplementationRun, RunOptions } from "../../spec/implementation.js";
import { UsageError } from "../errors.js";
import { CappedBuffer, DEFAULT_CASE_TIMEOUT_MS, DEFAULT_OUTPUT_LIMIT, elfAsParameter, killGroup, makeCaseDir, spawnGroup } from "./process-group.js";

export interface CommandOptions {
  /** Wall-clock limit per case in milliseconds. */
  readonly timeoutMs?: number;
  /** Cap in bytes on each of stdout and stderr per case. */
  readonly outputLimit?: number;
  /** Id in repro lines and reports (default `cmd:<command>`). */
  readonly id?: string;
  readonly version?: string;
  /** Working directory of the command (default: the runner's). */
  readonly cwd?: string;
}

export function commandImplementation(command: string, options: CommandOptions = {}): Implementation {
  if (!command.includes("{elf}")) throw new UsageError(`command "${command}" must contain {elf}`);
  const script = elfAsParameter(command);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  const outputLimit = options.outputLimit ?? DEFAULT_OUTPUT_LIMIT;
  return {
    id: options.id ?? `cmd:${command}`,
    version: options.version ?? "external",
    supports: { schedule: false, inspect: false },
    async run(image: Uint8Array, _opts: RunOptions = {}): Promise<ImplementationRun> {
      const dir = makeCaseDir();
      try {
        const elf = join(dir, "image.elf");
        writeFileSync(elf, image, { mode: 0o700 });
        return await runOneCase(script, elf, timeoutMs, outputLimit, options.cwd);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function runOneCase(script: string, elf: string, timeoutMs: number, outputLimit: number, cwd: string | undefined): Promise<ImplementationRun> {
  return new Promise((resolve) => {
    const child = spawnGroup(script, elf, "ignore", cwd);
    const out = new CappedBuffer(outputLimit);
    const err = new CappedBuffer(outputLimit);
    let limit: LimitEnd | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let open = 2;
    const stop = (why: LimitEnd) => {
      limit ??= why;
      killGroup(child);
    };
    const timer = setTimeout(() => stop({ kind: "timeout", ms: timeoutMs }), timeoutMs);
    child.stdout!.on("data", (d: Buffer) => {
      if (!out.push(d)) stop({ kind: "output-limit", stream: "stdout", bytes: outputLimit });
    });
    child.stderr!.on("data", (d: Buffer) => {
      if (!err.push(d)) stop({ kind: "output-limit", stream: "stderr", bytes: outputLimit });
    });
    const finish = () => {
      if (open > 0 || !exit) return;
      clearTimeout(timer);
      const stderr = err.bytes().toString("utf8");
      const end: CaseEnd =
        limit ??
        (exit.signal
          ? { kind: "broken", reason: `the implementation was killed by ${exit.signal}` }
          : caseEndFromStatus(exit.code ?? 255, stderr));
      resolve({ console: new Uint8Array(out.bytes()), end, events: stderr === "" ? [] : stderr.split("\n") });
    };
    for (const s of [child.stdout!, child.stderr!]) s.on("close", () => { open--; finish(); });
    child.on("error", (e) => {
      stop({ kind: "broken", reason: `cannot start /bin/sh: ${e.message}` });
      exit ??= { code: null, signal: null };
      finish();
    });
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      // Whatever the command forked dies with it; its pipes then close.
      killGroup(child);
      finish();
    });
  });
}
