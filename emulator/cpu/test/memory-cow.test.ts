/**
 * Copy-on-write memories started from a frozen template (memory.ts): writes stay private, a
 * copied page carries no decode cache, and shared decoded code never runs where this memory's
 * code differs (patched, unmapped, or rewritten by the guest itself). Expected values come
 * from the x86 instructions' documented effects.
 */
import { describe, expect, it } from "vitest";
import { Memory, PROT_EXEC, PROT_READ, PROT_WRITE } from "../memory.js";
import { run } from "../run.js";
import { CpuState, RAX, getRegNum } from "../state.js";
import { cpuStats } from "../stats.js";

const CODE = 0x1000, NEXT = 0x2000, DATA = 0x3000;
const RX = PROT_READ | PROT_EXEC;
/** mov eax, imm32; jmp rel32 to NEXT */
const movJmp = (imm: number) => {
  const b = new Uint8Array(10);
  b[0] = 0xb8;
  new DataView(b.buffer).setUint32(1, imm, true);
  b[5] = 0xe9;
  new DataView(b.buffer).setInt32(6, NEXT - (CODE + 10), true);
  return b;
};
/** add eax, 1; syscall */
const ADD_SYSCALL = Uint8Array.of(0x83, 0xc0, 0x01, 0x0f, 0x05);

function exec(mem: Memory): { kind: string; rax: number } {
  const c = new CpuState();
  c.rip = CODE;
  const s = run(c, mem, 1000);
  return { kind: s.kind, rax: getRegNum(c, RAX) };
}

function template(prot = RX) {
  const m = new Memory(64);
  m.map(CODE, 0x1000, prot);
  m.map(NEXT, 0x1000, RX);
  m.map(DATA, 0x1000, PROT_READ | PROT_WRITE);
  m.writeBytes(CODE, movJmp(41));
  m.writeBytes(NEXT, ADD_SYSCALL);
  m.writeU32(DATA, 7);
  return m.freeze();
}

describe("copy-on-write memory", () => {
  it("writes are private to the memory that makes them; reads see them at once", () => {
    const t = template();
    const a = Memory.startFrom(t), b = Memory.startFrom(t);
    expect(a.r32(DATA)).toBe(7); // fills the read TLB with the shared page
    a.w32(DATA, 9);
    expect(a.r32(DATA)).toBe(9);
    expect(b.r32(DATA)).toBe(7);
    expect(Memory.startFrom(t).readU32(DATA)).toBe(7);
    b.writeU32(DATA + 4, 3);
    expect(a.readU32(DATA + 4)).toBe(0);
    expect(a.mappedPages).toBe(3);
  });

  it("shares decoded code between memories, and a copied code page starts without it", () => {
    const t = template();
    const a = Memory.startFrom(t);
    expect(exec(a)).toEqual({ kind: "syscall", rax: 42 });
    expect(t.pages.get(CODE / 0x1000)!.icache).not.toBeNull(); // decoded once, for every memory
    const b = Memory.startFrom(t);
    b.writeBytes(CODE, movJmp(99)); // a kernel write to code: b gets its own copy
    expect(b.pages.get(CODE / 0x1000)!.icache).toBeNull();
    expect(exec(b)).toEqual({ kind: "syscall", rax: 100 });
    expect(exec(a)).toEqual({ kind: "syscall", rax: 42 });
    expect(exec(Memory.startFrom(t))).toEqual({ kind: "syscall", rax: 42 });
    expect(exec(b)).toEqual({ kind: "syscall", rax: 100 });
  });

  it("code unmapped or made non-executable in one memory faults there, however warm the shared code is", () => {
    const t = template();
    const warm = Memory.startFrom(t);
    for (let i = 0; i < 5; i++) expect(exec(warm).kind).toBe("syscall"); // successor links CODE -> NEXT built
    const gone = Memory.startFrom(t);
    gone.unmap(NEXT, 0x1000);
    expect(exec(gone).kind).toBe("fault");
    const nx = Memory.startFrom(t);
    nx.protect(NEXT, 0x1000, PROT_READ);
    expect(exec(nx).kind).toBe("fault");
    const other = Memory.startFrom(t);
    other.map(NEXT, 0x1000, RX); // fresh zero page: add [rax], al
    expect(exec(other).kind).toBe("fault");
    expect(exec(warm)).toEqual({ kind: "syscall", rax: 42 });
  });

  it("a writable and executable template page: the guest rewrites its own code in each memory alone", () => {
    // mov byte [CODE+1], 5 (patches the mov's immediate); jmp back to CODE ... but run once:
    // program at CODE+16: mov byte [CODE+1], 5; jmp CODE
    const t0 = new Memory(64);
    t0.map(CODE, 0x1000, RX | PROT_WRITE);
    t0.map(NEXT, 0x1000, RX);
    t0.writeBytes(CODE, movJmp(41));
    t0.writeBytes(CODE + 16, Uint8Array.of(0xc6, 0x04, 0x25, (CODE + 1) & 0xff, (CODE + 1) >> 8, 0, 0, 0x05, 0xe9, ...new Uint8Array(new Int32Array([CODE - (CODE + 16 + 13)]).buffer)));
    t0.writeBytes(NEXT, ADD_SYSCALL);
    const t = t0.freeze();
    const a = Memory.startFrom(t);
    expect(exec(a)).toEqual({ kind: "syscall", rax: 42 });
    const b = Memory.startFrom(t);
    const c = new CpuState();
    c.rip = CODE + 16;
    expect(run(c, b, 1000).kind).toBe("syscall");
    expect(getRegNum(c, RAX)).toBe(6);
    expect(exec(b)).toEqual({ kind: "syscall", rax: 6 });
    expect(exec(a)).toEqual({ kind: "syscall", rax: 42 });
    expect(exec(Memory.startFrom(t))).toEqual({ kind: "syscall", rax: 42 });
  });

  it("a released memory comes back from startFrom equal to its template, whatever its last user did", () => {
    const t = template();
    const a = Memory.startFrom(t);
    expect(exec(a)).toEqual({ kind: "syscall", rax: 42 });
    a.w32(DATA, 9); // a private copy of DATA
    a.writeBytes(CODE, movJmp(99)); // code unshared: private copies of CODE and NEXT
    a.unmap(NEXT, 0x1000);
    a.map(0x5000, 0x2000, RX); // pages the template has not
    a.writeBytes(0x5000, new Uint8Array(0x2000).fill(0xcc)); // dirty private pages
    expect(() => a.w8(0x5000, 0xcc)).toThrow(); // (not writable for the guest)
    a.protect(DATA, 0x1000, PROT_READ);
    a.release();
    const b = Memory.startFrom(t); // takes a back
    expect(b).toBe(a);
    expect(b.mappedPages).toBe(3);
    expect(b.isMapped(0x5000)).toBe(false);
    expect(b.readU32(DATA)).toBe(7);
    expect(b.protAt(DATA)).toBe(PROT_READ | PROT_WRITE);
    expect(exec(b)).toEqual({ kind: "syscall", rax: 42 });
    b.w32(DATA, 11);
    expect(b.r32(DATA)).toBe(11);
    // the recycled buffers come back zeroed where a fresh page would be zero
    const c = Memory.startFrom(t);
    c.map(0x5000, 0x1000, RX);
    expect(c.readBytes(0x5000, 0x1000).every((x) => x === 0)).toBe(true);
    expect(c.readU32(DATA)).toBe(7);
    expect(exec(Memory.startFrom(t))).toEqual({ kind: "syscall", rax: 42 });
  });

  it("a released memory that changed more pages than it tracks still comes back equal to its template", () => {
    const t = template();
    const a = Memory.startFrom(t);
    for (let i = 0; i < 3000; i++) { a.map(0x10000, 0x2000, PROT_READ | PROT_WRITE); a.w8(0x10000, 1); a.unmap(0x10000, 0x2000); }
    a.w32(DATA, 9);
    a.release();
    const b = Memory.startFrom(t);
    expect(b).toBe(a);
    expect(b.mappedPages).toBe(3);
    expect(b.readU32(DATA)).toBe(7);
    expect(exec(b)).toEqual({ kind: "syscall", rax: 42 });
  });

  it("the personality accessors never read a page the map no longer holds (their one-page cache)", () => {
    const t = template();
    const a = Memory.startFrom(t);
    expect(a.readU32(DATA)).toBe(7); // cached: the template's page
    a.writeU32(DATA, 9); // a private copy replaces it
    expect(a.readU32(DATA)).toBe(9);
    expect(Memory.startFrom(t).readU32(DATA)).toBe(7);
    a.map(DATA, 0x1000, PROT_READ); // a fresh zero page
    expect(a.readU32(DATA)).toBe(0);
    a.unmap(DATA, 0x1000);
    expect(() => a.readU32(DATA)).toThrow();
    a.map(DATA, 0x1000, PROT_READ | PROT_WRITE);
    a.writeU8(DATA, 5);
    expect(a.readU8(DATA)).toBe(5);
    a.release();
    expect(Memory.startFrom(t).readU32(DATA)).toBe(7);
  });

  describe("a page made executable away from the shared code (shared until code runs there)", () => {
    const FAR = 0x9000;
    /** mov eax, imm32; jmp rel32 to `to` (at CODE) */
    const movJmpTo = (imm: number, to: number) => {
      const b = movJmp(imm);
      new DataView(b.buffer).setInt32(6, to - (CODE + 10), true);
      return b;
    };
    function farTemplate() {
      const m = new Memory(64);
      m.map(CODE, 0x1000, RX);
      m.map(DATA, 0x1000, PROT_READ | PROT_WRITE);
      m.writeBytes(CODE, movJmpTo(41, FAR)); // FAR is not mapped in the template
      return m.freeze();
    }

    it("mapping or protecting a far page executable copies no code page and keeps the decoded code", () => {
      const t = farTemplate();
      const codePage = t.pages.get(CODE / 0x1000)!;
      expect(exec(Memory.startFrom(t)).kind).toBe("fault"); // decodes the template's code
      const decoded = codePage.icache;
      expect(decoded).not.toBeNull();
      const copied = cpuStats.pagesCopied;
      const vm = Memory.startFrom(t);
      vm.map(FAR, 0x1000, RX);
      vm.map(0x20000, 0x2000, PROT_READ | PROT_WRITE);
      vm.protect(0x20000, 0x1000, RX);
      vm.unmap(FAR, 0x1000);
      expect(vm.pages.get(CODE / 0x1000)).toBe(codePage);
      expect(cpuStats.pagesCopied).toBe(copied + 1); // the zero page made RX (never a code page)
      expect(exec(vm).kind).toBe("fault"); // FAR unmapped again
      expect(codePage.icache).toBe(decoded);
    });

    it("code run on that page never runs in another memory, however warm the links are", () => {
      const t = farTemplate();
      const codePage = t.pages.get(CODE / 0x1000)!;
      const warm = Memory.startFrom(t);
      expect(exec(warm)).toEqual({ kind: "fault", rax: 41 });
      const a = Memory.startFrom(t);
      a.map(FAR, 0x1000, RX);
      a.writeBytes(FAR, ADD_SYSCALL); // add eax, 1; syscall
      for (let i = 0; i < 5; i++) expect(exec(a)).toEqual({ kind: "syscall", rax: 42 }); // the jmp's successor link is built
      expect(a.pages.get(CODE / 0x1000)).not.toBe(codePage); // a took its own copy at the fetch
      const b = Memory.startFrom(t); // FAR unmapped: must fault, not run a's code
      expect(exec(b)).toEqual({ kind: "fault", rax: 41 });
      const c = Memory.startFrom(t);
      c.map(FAR, 0x1000, RX);
      c.writeBytes(FAR, Uint8Array.of(0x83, 0xc0, 0x02, 0x0f, 0x05)); // add eax, 2; syscall
      expect(exec(c)).toEqual({ kind: "syscall", rax: 43 });
      expect(exec(warm)).toEqual({ kind: "fault", rax: 41 });
      expect(exec(a)).toEqual({ kind: "syscall", rax: 42 });
      a.release();
      expect(exec(Memory.startFrom(t))).toEqual({ kind: "fault", rax: 41 });
    });

    it("the page right after the code is not far: an instruction straddling into it stays this memory's", () => {
      // mov eax, imm32 at the code page's last 3 bytes: its immediate's high bytes lie on the next page
      const t0 = new Memory(64);
      t0.map(CODE, 0x1000, RX);
      t0.writeBytes(CODE + 0xffd, Uint8Array.of(0xb8, 0x29, 0x00));
      const t = t0.freeze();
      const at = (mem: Memory) => {
        const c = new CpuState();
        c.rip = CODE + 0xffd;
        return { kind: run(c, mem, 1000).kind, rax: getRegNum(c, RAX) };
      };
      const a = Memory.startFrom(t);
      a.map(NEXT, 0x1000, RX);
      a.writeBytes(NEXT, Uint8Array.of(0x00, 0x00, ...ADD_SYSCALL));
      expect(at(a)).toEqual({ kind: "syscall", rax: 42 });
      expect(at(Memory.startFrom(t))).toEqual({ kind: "fault", rax: 0 }); // the mov cannot be fetched whole
    });
  });
});
