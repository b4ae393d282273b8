/**
 * Seeded bugs used to prove that conformance properties can fail (issue 18). All off by default.
 *
 * Each is a bug a kernel developer could plausibly write, never an implementation choice the
 * ABI leaves open (which waiter wakes, placement, TP position, how late a timeout fires).
 *
 * To add one: add a row to MUTANTS (name, the clause IDs it breaks, one line saying what it
 * does), test `k.mutant === "<name>"` (or `bug(...)`) at the one place it changes behaviour and
 * mark that line `MUTANT <name>`.
 */
export interface MutantInfo {
  readonly name: string;
  /** Clause IDs (spec/clauses/*.json) the bug breaks. */
  readonly clauses: readonly string[];
  readonly description: string;
  /**
   * Set when the fixed-seed `conform run` does not catch the bug yet: what the generators or
   * the model would need to reach it (issue 18, Build item 3).
   */
  readonly uncaught?: string;
}

export const MUTANTS = [
  // The first five (issue 4).
  { name: "lost-wake", clauses: ["PARK-3", "PARK-4"], description: "the PARK value check and the enqueue are split by a scheduling point; an UNPARK in between is lost" },
  { name: "no-drain", clauses: ["PARK-6", "PARKX-6"], description: "unmap/decommit leave the waiters parked on the dead range" },
  { name: "fs-not-restored", clauses: ["FSB-5", "TLS-3"], description: "a context switch keeps the previous thread's FS base" },
  { name: "tls-ignores-misalign", clauses: ["TLSV2-2", "TLSV2-5"], description: "tlsOffset = roundup(p_memsz, p_align), wrong when p_vaddr % p_align != 0" },
  { name: "protect-keeps-write", clauses: ["VMX-6", "GO-5"], description: "protect never removes write permission from a writable page" },
  // VirtualMemory.
  { name: "unmap-skips-last-page", clauses: ["VMX-3", "GO-6"], description: "unmap's page loop stops one page short (count - 1)" },
  { name: "protect-skips-last-page", clauses: ["VMX-6", "GO-5"], description: "protect's page loop stops one page short, the last page keeps its old protection" },
  { name: "decommit-keeps-contents", clauses: ["GO-4", "VMX-4"], description: "decommit only revokes access; a later commit finds the old bytes instead of zeros" },
  { name: "reserve-commits", clauses: ["GO-2"], description: "reserve backs the pages read-write at once, so reserved memory does not fault" },
  { name: "map-ignores-prot", clauses: ["VMX-6"], description: "map commits every range read-write whatever prot says" },
  { name: "map-overlaps", clauses: ["VMX-2"], description: "a valid hint is taken without checking that the range is free: map/reserve return overlapping ranges" },
  { name: "reserve-quota-unchecked", clauses: ["VMX-5", "VM-3"], description: "reserve never checks the reserved-page quota" },
  { name: "commit-quota-unchecked", clauses: ["VMX-5", "VM-3"], description: "commit/map never check the committed-page quota" },
  { name: "commit-unreserved", clauses: ["VMX-4"], description: "commit of pages that were never reserved succeeds (they are reserved on the fly)" },
  { name: "vm-unaligned-accepted", clauses: ["VMX-1"], description: "an explicit range address that is not page aligned is rounded down instead of rejected" },
  { name: "unmap-leaks-commit-charge", clauses: ["VMX-5", "GO-6"], description: "unmap of committed pages does not give back their committed-page charge" },
  { name: "prot-unknown-bits-accepted", clauses: ["VMX-7"], description: "prot values with unknown bits are accepted" },
  // ParkSpace.
  { name: "park-skips-value-check", clauses: ["PARK-3"], description: "PARK blocks without comparing the word with the expected value" },
  { name: "park-compares-low-byte", clauses: ["PARK-2", "PARK-3"], description: "PARK compares only the low byte of the word" },
  { name: "unpark-wakes-extra", clauses: ["PARKX-2"], description: "UNPARK wakes count + 1 waiters (off by one)" },
  { name: "unpark-zero-wakes-all", clauses: ["PARKX-1"], description: "UNPARK with count 0 wakes every waiter (0 read as 'all')" },
  { name: "unpark-ignores-address", clauses: ["PARK-4", "PARKX-8"], description: "UNPARK wakes waiters parked on any word" },
  { name: "park-timeout-early", clauses: ["PARK-5", "PARKX-4"], description: "a timed PARK expires after half its timeout" },
  { name: "park-poll-mismatch", clauses: ["PARKX-3", "GO-7"], description: "PARK with timeout 0 on a matching word completes with mismatch instead of timedOut" },
  { name: "drain-result-woken", clauses: ["PARKX-6"], description: "drained waiters complete with woken instead of drained" },
  { name: "drain-misses-last-word", clauses: ["PARK-6", "PARKX-6"], description: "the drain range ends one word early, a waiter on the last word stays parked" },
  { name: "park-unaligned-ok", clauses: ["PARKX-5"], description: "PARK/UNPARK accept a word address not aligned to 4" },
  { name: "exit-leaves-waiter", clauses: ["PARKX-9"], description: "a thread that exits stays in the park queue; UNPARK counts it as woken (seen through a thread that leaves with a PARK_ASYNC in flight)" },
  // Ring.
  { name: "cq-overflow-drops", clauses: ["RINGX-2", "RING-6"], description: "an asynchronous completion posted while the CQ is full is dropped instead of held" },
  { name: "cqe-userdata-last-sqe", clauses: ["RING-7"], description: "an asynchronous completion carries the user_data of the thread's last SQE, not of its own" },
  { name: "sq-consumed-when-cq-full", clauses: ["RINGX-2"], description: "SQEs are still consumed while the CQ is full" },
  { name: "reserved-flags-ignored", clauses: ["RINGX-4"], description: "non-zero SQE flags are not rejected" },
  { name: "enter-returns-zero-when-ready", clauses: ["ENTERX-1", "ENTER-2"], description: "cap_enter that does not block returns 0 instead of the number of CQEs available" },
  // Capabilities.
  { name: "release-keeps-cap", clauses: ["CAP-4", "RINGX-7"], description: "RELEASE completes with 0 but leaves the slot live" },
  { name: "release-no-generation-bump", clauses: ["CAP-2", "RINGX-7"], description: "RELEASE frees the slot without bumping its generation: a stale id names the next cap" },
  { name: "unknown-ordinal-succeeds", clauses: ["RINGX-6"], description: "a method ordinal the interface lacks completes with success and an empty result" },
  { name: "exception-type-failed", clauses: ["ERR-2", "VMX-1", "FSB-3"], description: "every CapException is encoded with type failed" },
  // Threads and FS base.
  { name: "join-before-exit", clauses: ["THRX-2", "THR-3"], description: "join completes at once with exit value 0 when the thread is still running" },
  { name: "exit-value-truncated", clauses: ["THRX-2"], description: "the exit value handed to joiners keeps only its low 32 bits" },
  { name: "spawn-inherits-fs", clauses: ["FSB-2"], description: "a spawned thread starts with its parent's FS base instead of the fsBase argument" },
  { name: "setfsbase-noncanonical", clauses: ["FSB-3"], description: "setFsBase accepts a non-canonical base" },
  { name: "spawn-arg-dropped", clauses: ["FSB-2"], description: "a spawned thread's argument register is left 0" },
  // TLS.
  { name: "tp-align-capped-16", clauses: ["TLSV2-3", "TLSV2-7"], description: "the thread pointer is aligned to at most 16, wrong for p_align > 16" },
  { name: "tbss-copied-from-file", clauses: ["TLSV2-4"], description: "the TLS block is copied p_memsz bytes from the file, so .tbss holds the bytes that follow .tdata" },
  { name: "no-self-pointer-without-tls", clauses: ["TLSV2-8"], description: "the %fs:0 self-pointer is written only when the image has a PT_TLS" },
  // Timer.
  { name: "now-32-bit", clauses: ["TIMERX-1"], description: "Timer.now returns the clock truncated to 32 bits, so it goes backwards when the clock passes 2^32 ns (4.29 s after its origin)" },
  { name: "sleep-early", clauses: ["TIMERX-1"], description: "Timer.sleep takes its argument as microseconds/1000 (ns / 1000): it returns early" },
] as const satisfies readonly MutantInfo[];

/** The mutants the fixed-seed run is expected to catch today (no `uncaught` note). */
export const CAUGHT_MUTANT_NAMES: readonly MutantName[] = (MUTANTS as readonly MutantInfo[]).filter((m) => !m.uncaught).map((m) => m.name as MutantName);

export type MutantName = (typeof MUTANTS)[number]["name"];
export const MUTANT_NAMES: readonly MutantName[] = MUTANTS.map((m) => m.name);
