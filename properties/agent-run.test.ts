/**
 * toModelEnd gives every fault end one shape (all five fields, unknown ones undefined): the
 * model must read it exactly as the end with those fields left out, which is what it gave
 * before (session 9), for every combination of known fields.
 */
import { describe, expect, it } from "vitest";
import { describeEnd, endMatches } from "../model/checker.js";
import type { CaseEnd } from "../spec/run-protocol.js";
import { toModelEnd } from "./agent-run.js";

describe("toModelEnd", () => {
  it("a fault end keeps every field the implementation reported, in one shape, read as the end without the unknown ones", () => {
    const ends: CaseEnd[] = [];
    for (const fault of ["#PF", "#GP"] as const)
      for (const addr of [undefined, 0x7000n])
        for (const access of [undefined, "read", "write", "exec"] as const)
          for (const thread of [undefined, 0, 2]) {
            const e: Record<string, unknown> = { kind: "fault", fault };
            if (addr !== undefined) e.addr = addr;
            if (access !== undefined) e.access = access;
            if (thread !== undefined) e.thread = thread;
            ends.push(e as CaseEnd);
          }
    const shapes = new Set<string>();
    for (const end of ends) {
      const m = toModelEnd(end)!;
      shapes.add(Object.keys(m).join(","));
      // The same fields with the same values (toEqual reads an undefined field as an absent one).
      expect(m).toEqual(end);
      expect(Object.entries(m).filter(([, v]) => v !== undefined)).toEqual(Object.entries(end));
      expect(describeEnd(m)).toBe(describeEnd(end as Parameters<typeof describeEnd>[0]));
      // Judged as the sparse end was, against every observed end of the set, reporting or not.
      for (const other of ends)
        for (const reports of [{}, { faultAddress: true, faultThread: true }]) expect(endMatches(m, toModelEnd(other)!, reports)).toBe(endMatches(end as never, other as never, reports));
    }
    expect(shapes.size).toBe(1);
  });
});
