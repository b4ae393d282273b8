/**
 * Timing primitives for the bench: contenders run in turn (A B C A B C ...) so that drift of a
 * shared machine hits all of them alike, and every figure is the median of its rounds.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
}

/** Seconds on a monotonic clock around f. */
export function timed<T>(f: () => T): { t: number; v: T } {
  const t0 = process.hrtime.bigint();
  const v = f();
  return { t: Number(process.hrtime.bigint() - t0) / 1e9, v };
}

/** CPU seconds (user + system, every thread of this process: V8's compiler threads too) around f. */
export function cpuTimed<T>(f: () => T): { cpu: number; v: T } {
  const c0 = process.cpuUsage();
  const v = f();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6, v };
}

/** Whole-process wall time of a child (start-up included). */
export function timeProcess(cmd: string, args: readonly string[], cwd?: string): { t: number; out: Buffer; status: number | null } {
  const r = timed(() => spawnSync(cmd, args, { cwd, maxBuffer: 1 << 28, env: { PATH: "/usr/bin:/bin", LANG: "C", HOME: "/" } }));
  return { t: r.t, out: r.v.stdout, status: r.v.status };
}

/**
 * Run each contender once per round, in turn, `rounds` times; returns every contender's
 * samples (the caller takes medians). A contender returns seconds (or null when absent).
 * `mirror` runs odd rounds in the reverse order (A B C, C B A, ...): contenders that share
 * this process's V8 (the interpreter and the compiled tier) otherwise always find it warmed
 * by the same predecessor.
 */
export function alternate<K extends string>(rounds: number, contenders: Record<K, () => number | null>, mirror = false): Record<K, number[]> {
  const keys = Object.keys(contenders) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++)
    for (const k of mirror && r % 2 === 1 ? [...keys].reverse() : keys) {
      const t = contenders[k]();
      if (t !== null) out[k].push(t);
    }
  return out;
}

export const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : "-");
export const ratio = (a: number, b: number, d = 1): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(d)}x` : "-");

/** Cases per CPU second over all rows of a property table (the "default mix" figure). */
export function mixRate(rows: readonly { cases: number; cpuS: number }[]): number {
  return rows.reduce((a, c) => a + c.cases, 0) / rows.reduce((a, c) => a + c.cpuS, 0);
}

/**
 * CPU seconds so far of this process's main thread and of all its other threads (V8's
 * background compiler and GC threads), from /proc/self/task; undefined where there is no
 * /proc. process.cpuUsage counts both: a figure taken while V8 still recompiles pays for it.
 */
export function threadCpuSeconds(): { main: number; others: number } | undefined {
  try {
    let main = 0, others = 0;
    for (const tid of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      // fields after the ")" that ends the thread's name: utime and stime are the 12th and 13th, in clock ticks (100 per s on Linux)
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const s = (Number(f[11]) + Number(f[12])) / 100;
      if (tid === String(process.pid)) main += s;
      else others += s;
    }
    return { main, others };
  } catch {
    return undefined;
  }
}
