/**
 * A bare machine for run() tests: code at CODE (readable and executable, writable on request,
 * for tests that rewrite it), DATA read-write, RSP 64 bytes below DATA's end.
 */
import { CpuState, Memory, PROT_READ, PROT_WRITE, PROT_EXEC, setReg64 } from "../index.js";

export const CODE = 0x400000, DATA = 0x600000, DATA_SIZE = 65536;

export function testMachine(code: number[], writableCode = false): { c: CpuState; m: Memory } {
  const m = new Memory(64);
  m.map(CODE, 8192, PROT_READ | PROT_EXEC | (writableCode ? PROT_WRITE : 0));
  m.map(DATA, DATA_SIZE, PROT_READ | PROT_WRITE);
  m.writeBytes(CODE, Uint8Array.from(code));
  const c = new CpuState();
  c.rip = CODE;
  setReg64(c, 4, BigInt(DATA + DATA_SIZE - 64));
  return { c, m };
}
