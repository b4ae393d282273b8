/**
 * What a scheduling step hands the CPU: RDTSC reads virtual time plus the global instruction
 * count (README "Scheduling"), so a cap_enter that sleeps until its timeout moves it by the
 * timeout. Expected values follow from that rule and the program's instructions.
 */
import { describe, expect, it } from "vitest";
import { CLOCK_ORIGIN_NS } from "../policy.js";
import { DATA_VADDR, asm, buildElf, code, machine } from "./helpers.js";

const le32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
const rdtscTo = (at: number) => [0x0f, 0x31, 0x89, 0x04, 0x25, ...le32(at), 0x89, 0x14, 0x25, ...le32(at + 4)]; // rdtsc; mov [at], eax; mov [at+4], edx
const SLEEP_NS = 5_000_000;

describe("the TSC a scheduling step gives a thread", () => {
  it("moves with virtual time: a cap_enter asleep until its timeout advances it by the timeout", () => {
    const prog = code(rdtscTo(DATA_VADDR), asm.movEax(2), asm.movEdi(1), asm.movRsi(SLEEP_NS), asm.syscall(), rdtscTo(DATA_VADDR + 8), asm.spin());
    const m = machine({ maxInsns: 50_000 }, buildElf({ code: prog, data: new Uint8Array(16) }));
    m.run();
    const mem = m.as.mem;
    const tsc = (at: number) => mem.readU32(at) + mem.readU32(at + 4) * 2 ** 32;
    const before = tsc(DATA_VADDR), after = tsc(DATA_VADDR + 8);
    expect(before).toBe(Number(CLOCK_ORIGIN_NS)); // nothing retired before the first RDTSC
    // the timeout, plus the instructions retired from the first RDTSC up to the second (seven)
    expect(after - before).toBe(SLEEP_NS + 7);
  });
});
