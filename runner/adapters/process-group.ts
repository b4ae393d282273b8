/**
 * What the command adapters share: turning the user's command into a shell script that gets
 * the ELF path as a positional parameter (never spliced into the text), starting it as the
 * leader of its own process group, and killing that whole group so that nothing it forked
 * outlives a case (or the runner).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.js";

/** Per-case cap on stdout (Console) and on stderr, in bytes (spec/runner-protocol.md). */
export const DEFAULT_OUTPUT_LIMIT = 1 << 20;
/** Per-case wall-clock limit when none is given. */
export const DEFAULT_CASE_TIMEOUT_MS = 60_000;
/** After a group kill, how long to wait for the pipes to close before dropping them (a process
 *  that left the group with setsid() may still hold one). */
const PIPE_GRACE_MS = 500;

/**
 * The command as a `sh -c` script in which every `{elf}` reads the positional parameter $1,
 * whatever quotes the user wrote around it: unquoted `{elf}` becomes `"$1"`, inside double
 * quotes `${1}`, inside single quotes `'"$1"'` (close, insert, reopen). The path itself never
 * enters the script, so no path (nor TMPDIR) can inject a command.
 */
export function elfAsParameter(command: string): string {
  let out = "";
  let state: "none" | "single" | "double" = "none";
  for (let i = 0; i < command.length; i++) {
    if (command.startsWith("{elf}", i)) {
      out += state === "single" ? `'"$1"'` : state === "double" ? "${1}" : `"$1"`;
      i += 4;
      continue;
    }
    const c = command[i]!;
    out += c;
    if (state === "single") {
      if (c === "'") state = "none";
    } else if (c === "\\" && i + 1 < command.length) {
      out += command[++i]!;
    } else if (c === '"') state = state === "double" ? "none" : "double";
    else if (c === "'" && state === "none") state = "single";
  }
  return out;
}

/** The command of a batch implementation: its `{elf}` word (quoted or not) removed. */
export function withoutElf(command: string): string {
  return command.replace(/\s*(['"]?)\{elf\}\1/g, "");
}

/** A fresh private directory for case images (mkdtemp: mode 0700, a name nobody can predict). */
export function makeCaseDir(): string {
  try {
    return mkdtempSync(join(tmpdir(), "capos-case-"));
  } catch (e) {
    throw new UsageError(`cannot create a temporary directory for case images in ${tmpdir()}: ${(e as Error).message}`);
  }
}

const liveGroups = new Set<number>();
const dirsToRemove = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Whatever happens to the runner, no implementation process outlives it, nor its case files.
  process.on("exit", () => {
    for (const pid of liveGroups) killGroupId(pid);
    for (const dir of dirsToRemove) rmSync(dir, { recursive: true, force: true });
  });
}

/** Remove `dir` when the runner exits, unless forgetDir() was called first. */
export function removeAtExit(dir: string): void {
  installExitHook();
  dirsToRemove.add(dir);
}

export function forgetDir(dir: string): void {
  dirsToRemove.delete(dir);
}

/** Start `sh -c script` as the leader of a new process group; $1 = `elf` when given. */
export function spawnGroup(script: string, elf: string | undefined, stdin: "ignore" | "pipe", cwd?: string): ChildProcess {
  installExitHook();
  const child = spawn("/bin/sh", ["-c", script, "capos-conform", ...(elf !== undefined ? [elf] : [])], {
    detached: true,
    stdio: [stdin, "pipe", "pipe"],
    ...(cwd !== undefined ? { cwd } : {}),
  });
  if (child.pid !== undefined) liveGroups.add(child.pid);
  return child;
}

function killGroupId(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Kill the child's whole process group; after a grace period, drop its pipes even if a process
 * that escaped the group still holds them, so the caller's 'close' always comes.
 */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  killGroupId(child.pid);
  liveGroups.delete(child.pid);
  const t = setTimeout(() => {
    child.stdout?.destroy();
    child.stderr?.destroy();
    child.stdin?.destroy();
  }, PIPE_GRACE_MS);
  t.unref();
}

/** Keeps at most `limit` bytes; `over` is set once more arrived. */
export class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  over = false;
  constructor(readonly limit: number) {}
  /** Returns false when this chunk crossed the cap (the excess is dropped). */
  push(chunk: Buffer): boolean {
    if (this.over) return false;
    const room = this.limit - this.size;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.size = this.limit;
      this.over = true;
      return false;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
