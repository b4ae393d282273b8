/**
 * One bench program measured in a process of its own (see measurePrograms):
 * `program-child.ts PROGRAM_JSON ROUNDS` prints its ProgramRow as JSON on stdout;
 * `program-child.ts PROGRAM_JSON ROUNDS steady-loop` prints its SteadyLoopRow (steady-loop.ts).
 */
import { JIT_THRESHOLD } from "../../emulator/cpu/run.js";
import { measureProgram, type Program } from "./programs.js";
import { measureSteadyLoop } from "./steady-loop.js";

const [json, rounds, mode] = process.argv.slice(2);
if (json === undefined || !(Number(rounds) >= 1) || (mode !== undefined && mode !== "steady-loop")) {
  process.stderr.write("usage: program-child.ts PROGRAM_JSON ROUNDS [steady-loop]\n");
  process.exit(2);
}
const p = JSON.parse(json) as Program;
const row = mode === "steady-loop" ? measureSteadyLoop(p, JIT_THRESHOLD, Number(rounds)) : measureProgram(p, Number(rounds));
process.stdout.write(JSON.stringify(row));
