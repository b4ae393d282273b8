/**
 * Counted loops as machine code, for the tests of counted-loop.ts (against one-at-a-time
 * execution) and the host-CPU oracle's loop macros (against the host): set-up moves, then
 * [store] update [store] [extra] [compare] jne head (position-independent).
 */
// registers without ModRM special cases (RSP/RBP/R12/R13 need a SIB byte or a displacement)
export const LOOP_REGS = [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 14, 15];
const rexW = (reg: number, rm: number) => 0x48 | ((reg >> 3) << 2) | (rm >> 3);
const le = (v: number, n: number) => Array.from({ length: n }, (_, i) => Number((BigInt.asUintN(64, BigInt(v)) >> BigInt(8 * i)) & 255n));
const movImm64 = (r: number, v: bigint) => [0x48 | (r >> 3), 0xb8 + (r & 7), ...Array.from({ length: 8 }, (_, i) => Number((BigInt.asUintN(64, v) >> BigInt(8 * i)) & 255n))];

export interface LoopCase {
  ind: number; other: number;
  update: "add8" | "add32" | "sub8" | "inc" | "dec"; step: number;
  cmp: "39" | "3b" | "imm" | "none";
  store: "none" | "before" | "after"; storeVal: number; disp: number;
  start: bigint; count: number; reachable: boolean;
  near: boolean; budgets: number[];
  /** Extra instruction in the body: the skipper must refuse the loop (and still agree). */
  extra: boolean;
  /** Enter the loop past its first instruction (a JMP from the set-up), as rotated loops do. */
  midEntry?: boolean;
}

export function assembleLoop(k: LoopCase): number[] {
  const end = k.start + BigInt(k.step) * BigInt(k.count) + (k.reachable ? 0n : 1n);
  const setup = [...movImm64(k.ind, k.start), ...(k.cmp === "imm" ? [] : movImm64(k.other, k.cmp === "none" ? 0n : end))];
  const r = k.ind & 7;
  const upd = k.update === "inc" ? [rexW(0, k.ind), 0xff, 0xc0 | r]
    : k.update === "dec" ? [rexW(0, k.ind), 0xff, 0xc8 | r]
    : k.update === "add32" ? [rexW(0, k.ind), 0x81, 0xc0 | r, ...le(k.step, 4)]
    : k.update === "sub8" ? [rexW(0, k.ind), 0x83, 0xe8 | r, -k.step & 255]
    : [rexW(0, k.ind), 0x83, 0xc0 | r, k.step & 255];
  const w = Math.abs(k.step);
  const imm = w === 1 ? le(k.storeVal, 1) : w === 2 ? le(k.storeVal, 2) : le(k.storeVal, 4);
  const st = [...(w === 2 ? [0x66] : []), (w === 8 ? 0x48 : 0x40) | (k.ind >> 3), w === 1 ? 0xc6 : 0xc7, 0x40 | r, k.disp & 255, ...imm];
  const cmp = k.cmp === "39" ? [rexW(k.other, k.ind), 0x39, 0xc0 | ((k.other & 7) << 3) | r]
    : k.cmp === "3b" ? [rexW(k.ind, k.other), 0x3b, 0xc0 | ((k.ind & 7) << 3) | (k.other & 7)]
    : k.cmp === "imm" ? [rexW(0, k.ind), 0x81, 0xf8 | r, ...le(Number(BigInt.asIntN(32, end)), 4)]
    : [];
  const extra = k.extra ? [rexW(k.other, k.other), 0x85, 0xc0 | ((k.other & 7) << 3) | (k.other & 7)] : []; // test other, other
  const body = [...(k.store === "before" ? st : []), ...upd, ...(k.store === "after" ? st : []), ...extra, ...cmp];
  const jlen = k.near ? 6 : 2;
  const rel = -(body.length + jlen);
  const jne = k.near ? [0x0f, 0x85, ...le(rel, 4)] : [0x75, rel & 255];
  const first = k.store === "before" ? st : upd;
  const entry = k.midEntry ? [0xeb, first.length] : []; // jmp over the body's first instruction
  return [...setup, ...entry, ...body, ...jne];
}

/** The step an update form takes (INC and DEC step by one whatever was asked). */
export const loopStep = (u: LoopCase["update"], s: number): number => (u === "inc" ? 1 : u === "dec" ? -1 : s);
