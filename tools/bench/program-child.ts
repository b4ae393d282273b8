/**
 * One bench program measured in a process of its own (see measurePrograms):
 * `program-child.ts PROGRAM_JSON ROUNDS` prints its ProgramRow as JSON on stdout.
 */
import { measureProgram, type Program } from "./programs.js";

const [json, rounds] = process.argv.slice(2);
if (json === undefined || !(Number(rounds) >= 1)) {
  process.stderr.write("usage: program-child.ts PROGRAM_JSON ROUNDS\n");
  process.exit(2);
}
process.stdout.write(JSON.stringify(measureProgram(JSON.parse(json) as Program, Number(rounds))));
