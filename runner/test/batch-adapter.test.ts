/**
 * The batch form of the runner protocol against scripted implementations: answers are read in
 * order and validated; a hang (with a grandchild holding stdout), a flood, a malformed line,
 * stray output and a death each fail only their own case, the implementation is started again
 * for the next one, and nothing is left running.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { alive } from "./process-state.js";
import { batchImplementation } from "../adapters/batch.js";
import { loadAdapterFile } from "../adapters/adapter-file.js";
import { UsageError } from "../errors.js";

const scratch = mkdtempSync(join(tmpdir(), "batch-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const IMAGE = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46);
const OK = `{"v":1,"status":0,"console":"aGk=","version":"fake 1"}`;

/**
 * A batch implementation in sh whose answer to the n-th case overall (counted in a file, so it
 * survives restarts) is `behaviours[n]`, or the OK line when there is none.
 */
function scripted(name: string, behaviours: Record<number, string>): string {
  const counter = join(scratch, `${name}.count`);
  writeFileSync(counter, "0");
  const cases = Object.entries(behaviours).map(([n, body]) => `    ${n}) ${body} ;;`).join("\n");
  const file = join(scratch, `${name}.sh`);
  writeFileSync(file, `while IFS= read -r path; do
  test -s "$path" || { echo "no image at $path" >&2; exit 9; }
  n=$(( $(cat ${counter}) + 1 )); echo $n > ${counter}
  case $n in
${cases}
    *) echo '${OK}' ;;
  esac
done
`);
  return `sh ${file}`;
}


describe("batch adapter", () => {
  it("reads answers in order and takes the version from them", async () => {
    const impl = batchImplementation(scripted("plain", { 2: `echo '{"v":1,"status":139,"console":"","detail":"#PF at 0x2000 exec","version":"fake 2"}'` }));
    const runs = await Promise.all([impl.run(IMAGE), impl.run(IMAGE), impl.run(IMAGE)]);
    expect(runs.map((r) => r.end)).toEqual([{ kind: "exit", code: 0 }, { kind: "fault", fault: "#PF", addr: 0x2000n, access: "exec" }, { kind: "exit", code: 0 }]);
    expect(Buffer.from(runs[0]!.console).toString()).toBe("hi");
    expect(impl.version).toBe("fake 1");
    await impl.close!();
  });

  it("ends a hung case at the limit, kills its grandchild, and restarts for the next case", async () => {
    const pidFile = join(scratch, "hang.pid");
    const impl = batchImplementation(scripted("hang", { 2: `sleep 100 & echo $! > ${pidFile}; wait` }), { timeoutMs: 1500 });
    expect((await impl.run(IMAGE)).end).toEqual({ kind: "exit", code: 0 });
    const started = Date.now();
    expect((await impl.run(IMAGE)).end).toEqual({ kind: "timeout", ms: 1500 });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await alive(Number(readFileSync(pidFile, "utf8")))).toBe(false);
    expect((await impl.run(IMAGE)).end).toEqual({ kind: "exit", code: 0 });
    await impl.close!();
  });

  it("fails a case for a flood, a malformed line, stray output or a death, and only that case", async () => {
    const impl = batchImplementation(
      scripted("hostile", {
        1: "head -c 100000000 /dev/zero",
        3: `echo '{"v":1,"status":"zero","console":"","version":"x"}'`,
        5: "echo 'not json'",
        // one write, so the stray second line is already there when the first is read: a stray
        // line that arrives only after the next case was sent cannot be told from its answer
        // (unless the lines echo their case's "elf", as the next test shows)
        7: `printf '%s\\n%s\\n' '${OK}' '${OK}'`,
        // the 8th case is failed for the stray line without reaching the implementation
        // (which restarts), so the implementation's 10th and 12th are the runner's 11th and 13th
        10: "exit 3",
        12: `echo '{"v":1,"status":200,"console":"","version":"x"}'`,
      }),
      { outputLimit: 4096 },
    );
    const ends = [];
    for (let i = 0; i < 13; i++) ends.push((await impl.run(IMAGE)).end);
    expect(ends[0]).toEqual({ kind: "output-limit", stream: "stdout", bytes: 4096 });
    expect(ends[2]).toEqual({ kind: "broken", reason: "a result line does not follow spec/runner-result.schema.json: /status must be integer" });
    expect(ends[4]).toMatchObject({ kind: "broken", reason: expect.stringMatching(/^a result line is not JSON/) });
    expect(ends[6]).toEqual({ kind: "exit", code: 0 });
    expect(ends[7]).toEqual({ kind: "broken", reason: "wrote bytes outside a result line" });
    expect(ends[10]).toEqual({ kind: "broken", reason: "the implementation exited with status 3 before answering" });
    expect(ends[12]).toEqual({ kind: "broken", reason: "exit status 200 is not a protocol status" });
    for (const i of [1, 3, 5, 8, 9, 11]) expect(ends[i], `case ${i + 1}`).toEqual({ kind: "exit", code: 0 });
    await impl.close!();
  });
});

describe("batch answers that name their case", () => {
  it("accepts a line echoing its ELF path and fails one that answers another case", async () => {
    const echo = (elf: string) => `printf '{"v":1,"status":0,"console":"","elf":"%s","version":"x"}\\n' ${elf}`;
    const impl = batchImplementation(scripted("echo", { 1: echo(`"$path"`), 2: echo("/tmp/some-earlier-case.elf"), 3: echo(`"$path"`) }));
    const ends = [];
    for (let i = 0; i < 3; i++) ends.push((await impl.run(IMAGE)).end);
    expect(ends[0]).toEqual({ kind: "exit", code: 0 });
    expect(ends[1]).toMatchObject({ kind: "broken", reason: expect.stringMatching(/^a result line answers "\/tmp\/some-earlier-case.elf", not this case's ".*case-2.elf" \(a late answer/) });
    expect(ends[2]).toEqual({ kind: "exit", code: 0 });
    await impl.close!();
  });
});

describe("adapter files", () => {
  const file = (name: string, data: unknown) => {
    const p = join(scratch, name);
    writeFileSync(p, JSON.stringify(data));
    return p;
  };
  const base = { name: "k", version: "1", command: "run {elf}", protocol: "per-case" };

  it("builds the implementation the file describes", () => {
    const path = file("a.json", { ...base, caseTimeout: "2s" });
    const impl = loadAdapterFile(path);
    expect(impl.id).toBe(path);
    expect(impl.version).toBe("k 1");
    expect(impl.supports).toEqual({ schedule: false, inspect: false });
  });

  it("names the first bad field", () => {
    const bad = (data: unknown) => {
      try {
        loadAdapterFile(file("bad.json", data));
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message.replace(scratch, "<dir>");
      }
      return "accepted";
    };
    expect(bad({ ...base, protocol: "stream" })).toBe("adapter file <dir>/bad.json: field /protocol must be equal to one of the allowed values");
    expect(bad({ ...base, abilities: ["schedule"] })).toBe("adapter file <dir>/bad.json: field /abilities must be empty: runner protocol v1 carries no schedule or inspection");
    expect(bad({ ...base, command: "run" })).toBe("adapter file <dir>/bad.json: field /command must contain {elf} for the per-case protocol");
    expect(bad({ ...base, caseTimeout: "soon" })).toMatch(/field \/caseTimeout must match pattern/);
    expect(bad({ ...base, extra: 1 })).toBe("adapter file <dir>/bad.json: field / must NOT have additional properties");
  });
});
