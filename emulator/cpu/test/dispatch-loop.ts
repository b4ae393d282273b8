/**
 * A guest dispatch loop for the tests of what the tier records at an indirect jump
 * (indirect-targets.test.ts, tier-deopt-workload.ts): pass j jumps through entry j mod 16 of a
 * table of 16 targets, each of which counts R15 down and jumps back, until R15 reaches 0 (HLT).
 *
 *   TOP:      mov rax, rcx; and eax, 15; mov rax, [rbx + rax*8]; inc rcx; jmp rax
 *   target k: dec r15; jnz TOP; hlt                (at TARGETS + 16k)
 */
import { CpuState, Memory, PROT_READ, PROT_WRITE, PROT_EXEC, run, setReg64 } from "../index.js";
import type { Stop } from "../index.js";

export const CODE = 0x400000, TABLE = 0x600000, TARGETS = CODE + 0x100;
const TOP = [0x48, 0x89, 0xc8, 0x25, 15, 0, 0, 0, 0x48, 0x8b, 0x04, 0xc3, 0x48, 0xff, 0xc1, 0xff, 0xe0];
/** The indirect jump's address. */
export const JMP_AT = CODE + TOP.length - 2;
/** Guest instructions one pass retires (the dispatch block and its target's DEC and JNZ). */
export const INSNS_PER_PASS = 7;

function target(k: number): number[] {
  const rel = CODE - (TARGETS + 16 * k + 9);
  return [0x49, 0xff, 0xcf, 0x0f, 0x85, rel & 255, (rel >> 8) & 255, (rel >> 16) & 255, (rel >>> 24) & 255, 0xf4];
}

/**
 * Run `passes` passes, entry i of the table jumping to target number `table[i]`, under the
 * tier settings the caller has made; the memory (the caller releases it) and how it stopped.
 */
export function runDispatch(table: readonly number[], passes: number): { m: Memory; stop: Stop } {
  const m = new Memory(16);
  m.map(CODE, 4096, PROT_READ | PROT_EXEC);
  m.map(TABLE, 4096, PROT_READ | PROT_WRITE);
  m.writeBytes(CODE, Uint8Array.from(TOP));
  for (let k = 0; k < 16; k++) m.writeBytes(TARGETS + 16 * k, Uint8Array.from(target(k)));
  table.forEach((t, i) => m.w64(TABLE + 8 * i, TARGETS + 16 * t, 0));
  const c = new CpuState();
  c.rip = CODE;
  setReg64(c, 3, BigInt(TABLE));
  setReg64(c, 15, BigInt(passes));
  return { m, stop: run(c, m, passes * INSNS_PER_PASS + 10) };
}
