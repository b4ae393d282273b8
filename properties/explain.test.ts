/**
 * Decoding of agent runs for people. Expected texts are written from the agent protocol's
 * op table (spec/agent-protocol.ts) and the binding's park result names, not from the code.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import { OP, type Observation, type Script } from "../spec/agent-protocol.js";
import { describeCall, describeRecordText, explainAgentRun, hex, switchesFromEvents } from "./explain.js";

const FOREVER = B.park.timeoutForever;
const drained = BigInt(B.park.results.drained);

// t0 maps a page, spawns t1, unmaps; t1 parks forever on the page's first word.
const script: Script = {
  threads: [
    [
      { kind: OP.MAP, dst: 1, a: 0n, b: 0x1000n, c: BigInt(B.vm.prot.read | B.vm.prot.write) },
      { kind: OP.SPAWN, a: 1n },
      { kind: OP.UNMAP, base: 1, a: 0n, b: 0x1000n },
      { kind: OP.JOIN, a: 1n },
    ],
    [{ kind: OP.PARK, a: 0x1_0000_0000n, b: 0n, c: FOREVER }],
  ],
};

describe("decoded ops", () => {
  it("groups hex digits by four", () => {
    expect(hex(0x1_0000_0000n)).toBe("0x1_0000_0000");
    expect(hex(0xabcn)).toBe("0xabc");
  });
  it("names ops and decodes operands", () => {
    expect(describeCall(script.threads[1]![0]!, B)).toBe("PARK(word@0x1_0000_0000, expect 0, forever)");
    expect(describeCall(script.threads[0]![0]!, B)).toBe("MAP(hint@0x0, 0x1000 bytes, rw-)");
    expect(describeCall(script.threads[0]![2]!, B)).toBe("UNMAP(addr@r1+0x0, 0x1000 bytes)");
    expect(describeCall({ kind: OP.UNPARK, a: 8n, b: BigInt(B.park.unparkAll) }, B)).toBe("UNPARK(word@0x8, all)");
  });
  it("decodes records: park result names, errors, and the model's patterns", () => {
    expect(describeRecordText(`@1 1 0 ok ${drained.toString(16)}`, script, B)).toBe("t1 PARK(word@0x1_0000_0000, expect 0, forever) → drained");
    expect(describeRecordText("@1 0 2 err -3", script, B)).toBe("t0 UNMAP(addr@r1+0x0, 0x1000 bytes) → transport error -3");
    expect(describeRecordText("@1 0 0 ok <an address the kernel chose, a multiple of 4096>", script, B)).toBe(
      "t0 MAP(hint@0x0, 0x1000 bytes, rw-) → an address the kernel chose, a multiple of 4096",
    );
    expect(describeRecordText("end: exit(0)", script, B)).toBe("end: exit(0)");
  });
});

describe("explainAgentRun", () => {
  // A lost drain: t1 never reports, t0's JOIN never returns, the process hangs.
  const records: Observation[] = [
    { thread: 0, op: 0, status: "ok", value: 0x1_0000_0000n },
    { thread: 0, op: 1, status: "ok", value: 0n },
    { thread: 0, op: 2, status: "ok", value: 0n },
  ];
  const x = explainAgentRun(script, records, { text: "hang", fault: false }, { atRecord: 3, allowed: [`@1 1 0 ok ${drained.toString(16)}`], why: "all observations explained but not the end state hang" }, B);
  it("names the first unexplained point and the allowed outcomes decoded", () => {
    expect(x.firstUnexplained).toBe("end: hang");
    expect(x.allowed).toEqual(["t1 PARK(word@0x1_0000_0000, expect 0, forever) → drained"]);
  });
  it("lays the ops out per thread in record order; ops without a record stay open", () => {
    const bars = x.ops.map((o) => [o.thread, o.index, o.start, o.end ?? null]);
    // t1 starts when t0's SPAWN is reported (record 2 → position 2) and never reports.
    expect(bars).toEqual([
      [0, 0, 0, 1],
      [0, 1, 1, 2],
      [0, 2, 2, 3],
      [0, 3, 3, null],
      [1, 0, 2, null],
    ]);
    expect(x.ops.find((o) => o.thread === 1)!.marks).toEqual(["park", "no-record", "unexplained"]);
  });
});

describe("switchesFromEvents", () => {
  it("places each switch at the number of records written before it, counting writes from the end", () => {
    const log = [
      "10 t0 sqe#3 op=call cap=0x10000 ud=0x1 -> 16 Console.write", // lost from a truncated log: record 0
      "20 switch t0->t1 q=5 prng",
      "30 t1 sqe#0 op=call cap=0x10000 ud=0x2 -> 16 Console.write",
      "40 switch t1->t0 q=5 prng",
      "50 t0 sqe#4 op=call cap=0x10000 ud=0x3 -> 16 Console.write",
    ].slice(1);
    // Three records; the log holds the last two writes: the first switch follows record 0.
    expect(switchesFromEvents(log, 3)).toEqual([
      { at: 1, from: "t0", to: "t1" },
      { at: 2, from: "t1", to: "t0" },
    ]);
  });
});

describe("a spawned thread that reports before its SPAWN does", () => {
  it("starts with the SPAWN call, and its next op starts at its own record", () => {
    const s2: Script = { threads: [[{ kind: OP.SPAWN, a: 1n }, { kind: OP.JOIN, a: 1n }], [{ kind: OP.YIELD }, { kind: OP.PARK, a: 0x1000n, b: 0n, c: FOREVER }]] };
    const recs: Observation[] = [
      { thread: 1, op: 0, status: "ok", value: 0n }, // t1's YIELD, before t0's SPAWN record
      { thread: 0, op: 0, status: "ok", value: 0n },
    ];
    const e = explainAgentRun(s2, recs, { text: "hang", fault: false }, { why: "w" }, B);
    expect(e.ops.map((o) => [o.thread, o.index, o.start, o.end ?? null])).toEqual([
      [1, 0, 0, 1],
      [0, 0, 0, 2],
      [0, 1, 2, null],
      [1, 1, 1, null],
    ]);
  });
});
