/**
 * `npx tsx model/tools/bench-checker.ts`: search states per second of the checker on the
 * hard case of issue 18 (4 waiters x 3 timed parks, the end changed to exit(1), so the
 * search must exhaust every interleaving before it can refute the run).
 */
import { OP, type Script, type ScriptOp } from "../../spec/agent-protocol.js";
import { DEFAULT_BINDING as B } from "../../spec/binding.js";
import { checkAgentRun, simulate } from "../checker.js";

function hardScript(waiters: number, parks: number): Script {
  const R1 = 1;
  const main: ScriptOp[] = [{ kind: OP.MAP, dst: R1, a: 0n, b: 4096n, c: 3n }];
  const threads: ScriptOp[][] = [];
  for (let w = 1; w <= waiters; w++) {
    main.push({ kind: OP.SPAWN, a: BigInt(w) });
    threads.push(Array.from({ length: parks }, (_, k): ScriptOp => ({ kind: OP.PARK, base: R1, a: 0n, b: 0n, c: BigInt(1000 * (k + w)) })));
  }
  main.push({ kind: OP.UNPARK, base: R1, a: 0n, b: 2n }, { kind: OP.YIELD });
  return { threads: [main, ...threads] };
}

let seed = 7;
const rnd = (k: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % k;
};
const script = hardScript(4, 3);
const run = simulate(script, rnd, B);
const wrong = { ...run, end: { kind: "exit" as const, code: 1 } };
const budget = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 3);
for (let r = 0; r < rounds; r++) {
  const stats = { states: 0 };
  const t0 = process.hrtime.bigint();
  const v = checkAgentRun(script, wrong, B, {}, { maxStates: budget, stats });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${run.observations.length} records: ${v.ok ? "accepted" : v.undecided ? "undecided" : "refuted"} after ${stats.states} states in ${s.toFixed(2)} s = ${Math.round(stats.states / s)} states/s`);
}
