// The bench's command line (tools/bench/options.ts): every option reaches the bench, and a bad
// one is a one-line usage error (exit status 2) instead of a full bench run with the defaults.
import { describe, expect, it } from "vitest";
import { EXIT } from "../cli/exit-status.js";
import { parseBenchOptions } from "../bench/options.js";

function parse(...argv: string[]) {
  const errors: string[] = [];
  const result = parseBenchOptions(argv, (s) => errors.push(s));
  return { result, errors: errors.join("") };
}

describe("npm run bench options", () => {
  it("defaults to three rounds of every section", () => {
    expect(parse().result).toEqual({ options: { rounds: 3, only: [] } });
  });

  it("reads every option, --only repeated", () => {
    expect(parse("--rounds", "5", "--only", "cpu", "--only", "capos", "--json", "r.json", "--baseline", "../base").result)
      .toEqual({ options: { rounds: 5, only: ["cpu", "capos"], json: "r.json", baseline: "../base" } });
  });

  it.each([
    [["--round", "5"], /unknown option '--round'/],
    [["--only", "cpux"], /'--only <section>' argument 'cpux' is invalid\. expected one of cpu, startup, capos/],
    [["--rounds", "0"], /'--rounds <n>' argument '0' is invalid/],
    [["--rounds", "2x"], /'--rounds <n>' argument '2x' is invalid/],
    [["--json"], /argument missing/],
    [["capos"], /too many arguments/],
  ])("%j is a usage error naming what is wrong", (argv, message) => {
    const { result, errors } = parse(...argv);
    expect(result).toEqual({ exitStatus: EXIT.usage });
    expect(errors).toMatch(message);
    expect(errors.trim().split("\n").filter((l) => l.startsWith("error:"))).toHaveLength(1);
  });
});
