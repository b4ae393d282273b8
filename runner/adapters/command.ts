/**
 * Runs any external implementation as a process: `cmd:'<command> {elf}'`.
 *
 * The image is written to a temporary file whose path replaces `{elf}`; the command's stdout
 * is the Console output and its exit status the end state (spec/run-protocol.ts
 * COMMAND_STATUS). Such an implementation cannot be scheduled or inspected, so properties
 * that need that are reported unsupported. A command that runs past its wall-clock limit is
 * killed and reported as a budget end.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { endStateFromCommandStatus } from "../../spec/run-protocol.js";
import type { Implementation, ImplementationRun, RunOptions } from "../../spec/implementation.js";
import { UsageError } from "../errors.js";

export interface CommandOptions {
  /** Wall-clock limit per run in milliseconds. */
  readonly timeoutMs?: number;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function commandImplementation(command: string, options: CommandOptions = {}): Implementation {
  if (!command.includes("{elf}")) throw new UsageError(`command "${command}" must contain {elf}`);
  const timeoutMs = options.timeoutMs ?? 60_000;
  return {
    id: `cmd:${command}`,
    version: "external",
    supports: { schedule: false, inspect: false },
    run(image: Uint8Array, _opts: RunOptions = {}): Promise<ImplementationRun> {
      const dir = mkdtempSync(join(tmpdir(), "capos-cmd-"));
      const elf = join(dir, "image.elf");
      writeFileSync(elf, image, { mode: 0o755 });
      const cmdline = command.replaceAll("{elf}", shellQuote(elf));
      return new Promise((resolve) => {
        const child = spawn("/bin/sh", ["-c", cmdline], { stdio: ["ignore", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, timeoutMs);
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => err.push(d));
        child.on("close", (code, signal) => {
          clearTimeout(timer);
          rmSync(dir, { recursive: true, force: true });
          const stderr = Buffer.concat(err).toString("utf8");
          const end = timedOut
            ? ({ kind: "budget", what: "instructions" } as const)
            : signal
              ? ({ kind: "rejected", reason: `implementation killed by ${signal}` } as const)
              : endStateFromCommandStatus(code ?? 1, stderr);
          resolve({ console: new Uint8Array(Buffer.concat(out)), end, events: stderr === "" ? [] : stderr.split("\n") });
        });
      });
    },
  };
}
