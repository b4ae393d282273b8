/**
 * Syscalls: any number but exit and cap_enter returns noSys and changes no register but
 * RAX, RCX and R11 (SYS-1, SYS-2, SYSX-1, and the SYSCALL clobbers of the binding);
 * cap_enter rejects a min_complete larger than the CQ and returns the available count,
 * without blocking, for timeout 0 (ENTER-2, ENTER-3, ENTERX-1). The entry state is checked
 * on the way: RSP is the top of the user stack (PROCX-1, PROC-6).
 */
import { buildSyscallProbe, CHECKED_REGS, syscallCase, WORDS_PER_CALL, type SyscallCase } from "../generators/syscall-probe.js";
import { sha256 } from "../generators/agent-image.js";
import { property } from "./property.js";
import { describeEndState } from "./agent-run.js";

const hex = (x: bigint) => "0x" + x.toString(16);

export const syscallsUnknown = property<SyscallCase>({
  id: "syscalls.unknown-and-enter",
  group: "syscalls",
  title: "Unknown syscall numbers return noSys without side effects; cap_enter argument checks",
  clauses: ["SYS-1", "SYS-2", "SYS-5", "SYSX-1", "ENTER-2", "ENTER-3", "ENTERX-1", "PROCX-1", "PROC-6"],
  needs: [],
  runs: 30,
  arbitrary: (b) => syscallCase(b),
  describe: (c) => ({ numbers: c.numbers, values: c.values }),
  async check(c, ctx) {
    const b = ctx.binding;
    const { elf, reportWords } = buildSyscallProbe(c, b);
    const run = await ctx.impl.run(elf, { maxInsns: ctx.maxInsns });
    const observed = [`end: ${describeEndState(run.end)}`];
    const fail = (message: string, allowed: string[] = []) => ({ ok: false, message, elfSha256: sha256(elf), observed, allowed });
    if (run.end.kind !== "exit" || run.end.code !== 0) return fail(`the probe did not exit(0): ${describeEndState(run.end)}`, ["exit(0)"]);
    if (run.console.length !== reportWords * 8) return fail(`expected a ${reportWords * 8}-byte report, got ${run.console.length}`);
    const v = new DataView(run.console.buffer, run.console.byteOffset, run.console.byteLength);
    const word = (i: number) => v.getBigUint64(8 * i, true);
    const s64 = (x: number) => BigInt.asUintN(64, BigInt(x));
    const rsp = BigInt(b.layout.userStackBase + b.layout.userStackSize);
    for (let k = 0; k < c.numbers.length; k++) {
      const at = k * WORDS_PER_CALL;
      const rax = word(at);
      observed.push(`syscall ${hex(c.numbers[k]!)} -> rax ${hex(rax)}`);
      if (rax !== s64(b.syscall.errors.noSys)) return fail(`syscall ${hex(c.numbers[k]!)} returned ${hex(rax)}, expected noSys (${b.syscall.errors.noSys}) (SYSX-1)`);
      for (let i = 0; i < CHECKED_REGS.length; i++) {
        const r = CHECKED_REGS[i]!;
        const want = r === "rsp" ? rsp : c.values[i]!;
        const got = word(at + 1 + i);
        if (got !== want) return fail(`after syscall ${hex(c.numbers[k]!)} ${r} is ${hex(got)}, expected ${hex(want)} (${r === "rsp" ? "PROCX-1 entry RSP" : "SYSX-1: only RAX, RCX, R11 may change"})`);
      }
    }
    const tooMany = word(c.numbers.length * WORDS_PER_CALL);
    const idle = word(c.numbers.length * WORDS_PER_CALL + 1);
    observed.push(`cap_enter(cq+1, 0) -> ${hex(tooMany)}`, `cap_enter(0, 0) -> ${hex(idle)}`);
    if (tooMany !== s64(b.syscall.errors.invalid)) return fail(`cap_enter with min_complete > CQ entries returned ${hex(tooMany)}, expected ${b.syscall.errors.invalid} (ENTERX-1)`);
    if (idle !== 0n) return fail(`cap_enter(0, 0) on an empty ring returned ${hex(idle)}, expected 0 available CQEs (ENTER-2)`);
    return { ok: true, observed };
  },
});
