/**
 * Runs an external implementation in the batch form of the runner protocol
 * (spec/runner-protocol.md): started once, it reads one absolute ELF path per line on stdin
 * and answers each with one JSON result line on stdout (spec/runner-result.schema.json).
 *
 * The runner keeps the per-case limits of the per-case form: a case that takes longer than
 * the wall-clock limit, or whose result line passes the output cap, ends with that verdict,
 * the whole process group is killed, and the next case starts the implementation again. A
 * malformed result line, bytes outside a result line, or an implementation that dies before
 * answering are protocol breaks (the case fails, the implementation is restarted). Between
 * cases the process does not keep the runner alive; when the runner exits, its group is killed.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { resolve } from "node:path";
import type { ChildProcess } from "node:child_process";
import { Ajv } from "ajv";
import { caseEndFromStatus, type CaseEnd } from "../../spec/run-protocol.js";
import type { Implementation, ImplementationRun } from "../../spec/implementation.js";
import { UsageError } from "../errors.js";
import { DEFAULT_CASE_TIMEOUT_MS, DEFAULT_OUTPUT_LIMIT, forgetDir, killGroup, makeCaseDir, removeAtExit, spawnGroup, withoutElf } from "./process-group.js";

export interface BatchOptions {
  readonly timeoutMs?: number;
  readonly outputLimit?: number;
  readonly id?: string;
  readonly version?: string;
  readonly cwd?: string;
}

interface ResultLine {
  readonly v: 1;
  readonly status: number;
  readonly console: string;
  readonly detail?: string;
  readonly elf?: string;
  readonly version: string;
}

const validateResult = new Ajv({ allErrors: false }).compile<ResultLine>(
  JSON.parse(readFileSync(new URL("../../spec/runner-result.schema.json", import.meta.url), "utf8")),
);

/** What the implementation did after a path was sent. */
type Reply = { kind: "line"; text: string } | { kind: "exited"; how: string } | { kind: "over" } | { kind: "timeout" };

/** One start of the implementation: its stdout cut into lines, at most `lineLimit` bytes each. */
class BatchProcess {
  private readonly child: ChildProcess;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private readonly lines: string[] = [];
  private over = false;
  private exited: string | undefined;
  private stderrTail = "";
  private wake: (() => void) | undefined;

  constructor(script: string, cwd: string | undefined, private readonly lineLimit: number) {
    this.child = spawnGroup(script, undefined, "pipe", cwd);
    this.child.stdout!.on("data", (d: Buffer) => this.onData(d));
    this.child.stderr!.on("data", (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString("utf8")).slice(-4096);
    });
    this.child.stdin!.on("error", () => {
      // EPIPE: the implementation is gone; its exit is reported by 'exit'.
    });
    this.child.on("error", (e) => this.onExit(`could not start: ${e.message}`));
    this.child.on("exit", (code, signal) => this.onExit(signal ? `was killed by ${signal}` : `exited with status ${code}`));
  }

  private onExit(how: string): void {
    this.exited ??= how;
    this.wake?.();
  }

  private onData(d: Buffer): void {
    let start = 0;
    for (let nl = d.indexOf(10, start); nl >= 0; nl = d.indexOf(10, start)) {
      this.partial.push(d.subarray(start, nl));
      this.lines.push(Buffer.concat(this.partial).toString("utf8"));
      this.partial = [];
      this.partialBytes = 0;
      start = nl + 1;
    }
    if (start < d.length && !this.over) {
      this.partial.push(d.subarray(start));
      this.partialBytes += d.length - start;
      if (this.partialBytes > this.lineLimit) {
        this.over = true;
        this.partial = [];
      }
    }
    this.wake?.();
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  /** Output that arrived outside an answer (before the path was sent). */
  stray(): boolean {
    return this.lines.length > 0 || this.partialBytes > 0;
  }

  lastStderr(): string {
    return this.stderrTail.trim().split("\n").pop() ?? "";
  }

  /** Send one path and wait for its result line, the cap, the limit, or the process's end. */
  ask(path: string, timeoutMs: number): Promise<Reply> {
    this.setRef(true);
    this.child.stdin!.write(path + "\n");
    return new Promise<Reply>((done) => {
      const timer = setTimeout(() => settle({ kind: "timeout" }), timeoutMs);
      const check = () => {
        if (this.lines.length > 0) settle({ kind: "line", text: this.lines.shift()! });
        else if (this.over) settle({ kind: "over" });
        else if (this.exited !== undefined) settle({ kind: "exited", how: this.exited });
      };
      const settle = (r: Reply) => {
        clearTimeout(timer);
        this.wake = undefined;
        this.setRef(false);
        done(r);
      };
      this.wake = check;
      check();
    });
  }

  /** Between cases the process must not keep the runner's event loop alive. */
  private setRef(on: boolean): void {
    for (const h of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as (ChildProcess | Socket | null)[]) {
      if (h && "ref" in h && typeof h.ref === "function") on ? h.ref() : h.unref();
    }
  }

  kill(): void {
    killGroup(this.child);
  }

  /** EOF on stdin: a conforming implementation exits 0; whatever is left is killed. */
  end(): void {
    this.child.stdin!.end();
    const t = setTimeout(() => this.kill(), 2000);
    t.unref();
    if (this.exited !== undefined) this.kill();
  }
}

export function batchImplementation(command: string, options: BatchOptions = {}): Implementation {
  const script = withoutElf(command);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  const outputLimit = options.outputLimit ?? DEFAULT_OUTPUT_LIMIT;
  // base64 of a full Console, plus room for a detail as long as the stderr cap, plus the fields.
  const lineLimit = Math.ceil(outputLimit / 3) * 4 + outputLimit + 4096;
  let version = options.version ?? "external";
  let proc: BatchProcess | undefined;
  let dir: string | undefined;
  let cases = 0;
  let queue: Promise<unknown> = Promise.resolve();

  const caseDir = (): string => {
    if (dir === undefined) {
      dir = resolve(makeCaseDir());
      if (dir.includes("\n")) throw new UsageError(`the temporary directory ${JSON.stringify(dir)} has a newline in its path, which the batch protocol cannot carry`);
      removeAtExit(dir);
    }
    return dir;
  };

  const restart = (): void => {
    proc?.kill();
    proc = undefined;
  };

  async function runCase(image: Uint8Array): Promise<ImplementationRun> {
    const path = `${caseDir()}/case-${++cases}.elf`;
    writeFileSync(path, image, { mode: 0o700 });
    try {
      if (proc && (!proc.alive || proc.stray())) {
        const why = proc.alive ? "wrote bytes outside a result line" : "had exited before this case";
        restart();
        if (why === "wrote bytes outside a result line") return broken(why);
      }
      proc ??= new BatchProcess(script, options.cwd, lineLimit);
      const reply = await proc.ask(path, timeoutMs);
      switch (reply.kind) {
        case "timeout":
          restart();
          return { console: new Uint8Array(), end: { kind: "timeout", ms: timeoutMs } };
        case "over":
          restart();
          return { console: new Uint8Array(), end: { kind: "output-limit", stream: "stdout", bytes: outputLimit } };
        case "exited": {
          const stderr = proc.lastStderr();
          restart();
          return broken(`the implementation ${reply.how} before answering${stderr ? ` (${stderr})` : ""}`);
        }
        case "line":
          return fromLine(reply.text, path);
      }
    } finally {
      rmSync(path, { force: true });
    }
  }

  function broken(reason: string): ImplementationRun {
    return { console: new Uint8Array(), end: { kind: "broken", reason } };
  }

  function fromLine(text: string, path: string): ImplementationRun {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      restart();
      return broken(`a result line is not JSON: ${JSON.stringify(text.slice(0, 120))}`);
    }
    if (!validateResult(data)) {
      restart();
      const e = validateResult.errors?.[0];
      return broken(`a result line does not follow spec/runner-result.schema.json: ${e?.instancePath || "/"} ${e?.message ?? ""}`.trim());
    }
    if (data.elf !== undefined && data.elf !== path) {
      restart();
      return broken(`a result line answers ${JSON.stringify(data.elf)}, not this case's ${JSON.stringify(path)} (a late answer to an earlier case?)`);
    }
    version = data.version;
    const console = Buffer.from(data.console, "base64");
    const detail = data.detail ?? "";
    const end: CaseEnd =
      console.length > outputLimit
        ? { kind: "output-limit", stream: "stdout", bytes: outputLimit }
        : Buffer.byteLength(detail) > outputLimit
          ? { kind: "output-limit", stream: "stderr", bytes: outputLimit }
          : caseEndFromStatus(data.status, detail);
    return { console: new Uint8Array(console.subarray(0, outputLimit)), end, events: detail === "" ? [] : detail.split("\n") };
  }

  return {
    id: options.id ?? `batch:${command}`,
    get version() {
      return version;
    },
    supports: { schedule: false, inspect: false },
    run(image: Uint8Array): Promise<ImplementationRun> {
      // One case at a time: the protocol answers in order.
      const next = queue.then(() => runCase(image));
      queue = next.catch(() => undefined);
      return next;
    },
    async close(): Promise<void> {
      await queue;
      proc?.end();
      proc = undefined;
      if (dir !== undefined) {
        rmSync(dir, { recursive: true, force: true });
        forgetDir(dir);
      }
      dir = undefined;
    },
  };
}
