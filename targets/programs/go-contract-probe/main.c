/*
 * go-contract-probe: imitates the Go runtime's use of the capOS ABI (GO-1..GO-8, VMX-1..3,
 * PARKX-1/3/4).
 *
 *  - g at -8(FS), FS base = &m.tls[0] + 8 per thread (Go's settls), for the main thread (via
 *    setFsBase) and NTHREADS spawned threads (spawn fsBase, then setFsBase again as settls
 *    does); each reads its own g back after yields, sleeps and parks.
 *  - sysReserve / sysMap / sysUsed / sysUnused / sysFault / sysFree as VirtualMemory
 *    reserve / commit / decommit / protect(none) / unmap sequences.
 *  - futexsleep(addr, val, ns) as PARK with ns < 0 -> forever, ns == 0 -> never blocks;
 *    futexwakeup(addr, cnt) as UNPARK.
 *
 * Failed-check mask (printed in full on the last Console line); the exit status is
 * capos_probe_status(mask): 0 = all passed, bits 0..5 as below, bit 6 = any of bits >= 6:
 *   bit 0  GO1   g read back through -8(FS) (or getFsBase) wrong in some thread
 *   bit 1  GO2   reserve: failed, not page aligned, or outside the VM window
 *   bit 2  GO3   commit(rw): failed, not zero-filled, or not writable
 *   bit 3  GO4   decommit + commit: failed or contents not zero again
 *   bit 4  GO5   protect(none) / protect(rw): failed or contents lost
 *   bit 5  GO6   unmap (twice, VMX-3) failed, or the range was not reusable at the hint
 *   bit 6  GO7   futexsleep: ns == 0 blocked or gave the wrong code, finite timeout early,
 *                forever sleeper not woken by futexwakeup
 *   bit 7  GO8   futexwakeup without waiters woke someone or failed
 *   bit 8  MAP   map(rw) failed or not zero-filled / writable
 *   bit 9  VMX1  an unaligned size did not fail with invalidArgument
 *   bit 10 CALLS spawn / join / setFsBase / timer failed
 *   bit 11 CTLS  the C TLS the kernel set up for the initial thread was wrong at entry (a Go
 *                binary linked with C code has PT_TLS too; Go's own g does not use it)
 */
#include "capos_rt.h"

#define NTHREADS 2
#define STACK_SIZE 0x4000
#define RESERVE_PAGES 16
#define COMMIT_PAGES 4

#define V_CTLS 0x6060606060606060ull
__thread uint64_t t_ctls = V_CTLS;
__thread uint64_t t_cbss;

enum { F_CTLS = 2048, F_GO1 = 1, F_GO2 = 2, F_GO3 = 4, F_GO4 = 8, F_GO5 = 16, F_GO6 = 32, F_GO7 = 64, F_GO8 = 128, F_MAP = 256, F_VMX1 = 512, F_CALLS = 1024 };

struct g;
struct m {
  uint64_t tls[8]; /* Go: m.tls; FS base = &tls[0] + 8, so -8(FS) is tls[0] */
  struct g *g0;
  uintptr_t ring;
};
struct g {
  uint64_t goid;
  struct m *m;
};

static struct m ms[NTHREADS + 1];
static struct g gs[NTHREADS + 1];
static capos_thread_t th[NTHREADS];
static uint8_t stacks[NTHREADS][STACK_SIZE] __attribute__((aligned(16)));
static volatile uint32_t futex_word;
static volatile uint32_t sleeper_parking, sleeper_done;
static volatile int32_t sleeper_result;
static capos_line_t line;

static void setg(struct g *g) { __asm__ volatile("movq %0, %%fs:-8" : : "r"(g) : "memory"); }
static struct g *getg(void) {
  struct g *g;
  __asm__ volatile("movq %%fs:-8, %0" : "=r"(g));
  return g;
}
static capos_status settls(uintptr_t ring, struct m *m) { return capos_set_fs_base(ring, (uint64_t)(uintptr_t)&m->tls[1]); }

/* runtime·futexsleep: sleep if *addr == val; ns < 0 means forever, ns == 0 never blocks */
static int32_t futexsleep(uintptr_t ring, volatile uint32_t *addr, uint32_t val, int64_t ns) {
  return capos_park(ring, addr, val, ns < 0 ? CAPOS_PARK_TIMEOUT_FOREVER : (uint64_t)ns);
}
static int32_t futexwakeup(uintptr_t ring, volatile uint32_t *addr, uint32_t cnt) { return capos_unpark(ring, addr, cnt); }

static int g_ok(uintptr_t ring, struct m *m, struct g *g) {
  uint64_t base = 0;
  if (getg() != g || m->tls[0] != (uint64_t)(uintptr_t)g) return 0;
  return capos_get_fs_base(ring, &base) >= 0 && base == (uint64_t)(uintptr_t)&m->tls[1];
}

static void say(uintptr_t ring, const char *what, uint64_t a, uint64_t b) {
  capos_line_t l = {.n = 0};
  capos_line_str(&l, "go-contract-probe: ");
  capos_line_str(&l, what);
  capos_line_kv(&l, "a", a);
  capos_line_kv(&l, "b", b);
  capos_line_flush(ring, &l);
}

static uint64_t mstart(capos_thread_t *t) {
  uintptr_t ring = t->ring;
  struct m *m = &ms[t->index + 1];
  struct g *g = m->g0;
  uint64_t f = 0;
  m->ring = ring;
  if (settls(ring, m) < 0) f |= F_CALLS;
  setg(g);
  for (int k = 0; k < 3; k++) {
    capos_yield();
    if (!g_ok(ring, m, g)) f |= F_GO1;
  }
  if (capos_timer_sleep(ring, 500) < 0) f |= F_CALLS;
  if (!g_ok(ring, m, g)) f |= F_GO1;
  if (t->index == 0) { /* the forever sleeper */
    sleeper_parking = 1;
    sleeper_result = futexsleep(ring, &futex_word, 0, -1);
    sleeper_done = 1;
    if (!g_ok(ring, m, g)) f |= F_GO1;
  }
  say(ring, "m done", t->index + 1, f);
  return f;
}

static uint64_t vm_checks(uintptr_t ring) {
  uint64_t f = 0, addr = 0, addr2 = 0;
  const uint64_t P = CAPOS_PAGE_SIZE, size = RESERVE_PAGES * P, csize = COMMIT_PAGES * P;
  capos_status s = capos_vm_reserve(ring, 0, size, &addr);
  say(ring, "sysReserve", addr, (uint64_t)s);
  if (s < 0 || (addr & (P - 1)) || addr < CAPOS_LAYOUT_VM_WINDOW_BASE || addr + size > CAPOS_LAYOUT_VM_WINDOW_END) return F_GO2 | F_GO3 | F_GO4 | F_GO5 | F_GO6;
  volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)addr;
  /* sysMap + sysUsed: commit rw; zero-filled and writable */
  s = capos_vm_commit(ring, addr, csize, CAPOS_PROT_READ | CAPOS_PROT_WRITE);
  say(ring, "sysMap", addr, (uint64_t)s);
  int ok = s >= 0;
  for (uint64_t i = 0; ok && i < csize / 8; i += 64) ok &= p[i] == 0;
  if (ok) {
    for (uint64_t i = 0; i < csize / 8; i += 64) p[i] = 0xc0ffee00 + i;
    for (uint64_t i = 0; i < csize / 8; i += 64) ok &= p[i] == 0xc0ffee00 + i;
  }
  if (!ok) f |= F_GO3;
  /* sysFault: protect(none) keeps pages committed; protect(rw) gives the contents back */
  s = capos_vm_protect(ring, addr, csize, CAPOS_PROT_NONE);
  capos_status s2 = capos_vm_protect(ring, addr, csize, CAPOS_PROT_READ | CAPOS_PROT_WRITE);
  say(ring, "sysFault", (uint64_t)s, (uint64_t)s2);
  ok = s >= 0 && s2 >= 0;
  for (uint64_t i = 0; ok && i < csize / 8; i += 64) ok &= p[i] == 0xc0ffee00 + i;
  if (!ok) f |= F_GO5;
  /* sysUnused: decommit; a later commit is zero-filled */
  s = capos_vm_decommit(ring, addr, csize);
  s2 = capos_vm_commit(ring, addr, csize, CAPOS_PROT_READ | CAPOS_PROT_WRITE);
  say(ring, "sysUnused", (uint64_t)s, (uint64_t)s2);
  ok = s >= 0 && s2 >= 0;
  for (uint64_t i = 0; ok && i < csize / 8; i += 64) ok &= p[i] == 0;
  if (!ok) f |= F_GO4;
  /* VMX-1: a size that is not a page multiple is invalidArgument */
  s = capos_vm_commit(ring, addr, P + 8, CAPOS_PROT_READ);
  say(ring, "unaligned commit", (uint64_t)s, 0);
  if (s != CAPOS_STATUS_EXC_BASE - CAPOS_EXC_INVALID_ARGUMENT) f |= F_VMX1;
  /* sysFree: unmap (twice: VMX-3), then the hint is free again (VMX-2) */
  s = capos_vm_unmap(ring, addr, size);
  s2 = capos_vm_unmap(ring, addr, size);
  capos_status s3 = capos_vm_reserve(ring, addr, size, &addr2);
  say(ring, "sysFree", addr2, (uint64_t)s3);
  if (s < 0 || s2 < 0 || s3 < 0 || addr2 != addr || capos_vm_unmap(ring, addr2, size) < 0) f |= F_GO6;
  /* map: reserve+commit in one step */
  s = capos_vm_map(ring, 0, 2 * P, CAPOS_PROT_READ | CAPOS_PROT_WRITE, &addr);
  say(ring, "map", addr, (uint64_t)s);
  ok = s >= 0 && (addr & (P - 1)) == 0;
  if (ok) {
    volatile uint8_t *b = (volatile uint8_t *)(uintptr_t)addr;
    ok = b[0] == 0 && b[2 * P - 1] == 0;
    b[2 * P - 1] = 0x5a;
    ok &= b[2 * P - 1] == 0x5a;
    ok &= capos_vm_unmap(ring, addr, 2 * P) >= 0;
  }
  if (!ok) f |= F_MAP;
  return f;
}

static uint64_t futex_checks(uintptr_t ring) {
  uint64_t f = 0, t0 = 0, t1 = 0;
  futex_word = 0;
  /* ns == 0 never blocks: timedOut when equal, mismatch when not */
  int32_t r1 = futexsleep(ring, &futex_word, 0, 0);
  int32_t r2 = futexsleep(ring, &futex_word, 1, 0);
  say(ring, "futexsleep ns=0", (uint64_t)(int64_t)r1, (uint64_t)(int64_t)r2);
  if (r1 != CAPOS_PARK_TIMED_OUT || r2 != CAPOS_PARK_MISMATCH) f |= F_GO7;
  /* finite timeout, nobody wakes: timedOut, not before start + timeout */
  if (capos_timer_now(ring, &t0) < 0) f |= F_CALLS;
  int32_t r3 = futexsleep(ring, &futex_word, 0, 100000);
  if (capos_timer_now(ring, &t1) < 0) f |= F_CALLS;
  say(ring, "futexsleep ns=1e5", (uint64_t)(int64_t)r3, t1 - t0);
  if (r3 != CAPOS_PARK_TIMED_OUT || t1 - t0 < 100000) f |= F_GO7;
  return f;
}

int64_t capos_main(uintptr_t ring, uint64_t pid, uintptr_t capset) {
  (void)pid;
  (void)capset;
  uint64_t f = 0;
  /* before Go takes over FS: the kernel-provided C TLS (TLSV2-1, TLSV2-4) */
  uint64_t tp = capos_read_tp();
  say(ring, "c tls", tp, t_ctls);
  if (tp == 0 || *(volatile uint64_t *)(uintptr_t)tp != tp || t_ctls != V_CTLS || t_cbss != 0) f |= F_CTLS;
  /* m0: the main thread becomes a Go m */
  struct m *m0 = &ms[0];
  m0->g0 = &gs[0];
  gs[0].m = m0;
  m0->ring = ring;
  if (settls(ring, m0) < 0) f |= F_CALLS;
  setg(&gs[0]);
  say(ring, "m0", (uint64_t)(uintptr_t)&m0->tls[1], (uint64_t)(uintptr_t)getg());
  if (!g_ok(ring, m0, &gs[0])) f |= F_GO1;

  /* futexwakeup with no waiters wakes nobody (GO-8, PARKX-1) */
  int32_t w0 = futexwakeup(ring, &futex_word, 1), w1 = futexwakeup(ring, &futex_word, 0);
  say(ring, "futexwakeup idle", (uint64_t)(int64_t)w0, (uint64_t)(int64_t)w1);
  if (w0 != 0 || w1 != 0) f |= F_GO8;

  for (uint32_t i = 0; i < NTHREADS; i++) {
    struct m *m = &ms[i + 1];
    m->g0 = &gs[i + 1];
    gs[i + 1].m = m;
    gs[i + 1].goid = i + 1;
    m->tls[0] = (uint64_t)(uintptr_t)m->g0; /* newosproc: g already at -8(FS) */
    th[i].fn = mstart;
    th[i].index = i;
    th[i].stack_top = (uint64_t)(uintptr_t)&stacks[i][STACK_SIZE];
    th[i].fs_base = (uint64_t)(uintptr_t)&m->tls[1];
    if (capos_thread_spawn(ring, &th[i]) < 0) f |= F_CALLS;
  }
  f |= vm_checks(ring);
  if (!g_ok(ring, m0, &gs[0])) f |= F_GO1;
  f |= futex_checks(ring);
  if (!g_ok(ring, m0, &gs[0])) f |= F_GO1;

  /* wake the forever sleeper: keep waking until it reports (it may not have parked yet) */
  while (!sleeper_parking) capos_timer_sleep(ring, 1000);
  for (int k = 0; k < 1000 && !sleeper_done; k++) {
    if (capos_timer_sleep(ring, 1000) < 0) f |= F_CALLS;
    if (futexwakeup(ring, &futex_word, 1) < 0) f |= F_GO7;
  }
  say(ring, "forever sleeper", (uint64_t)(int64_t)sleeper_result, sleeper_done);
  if (!sleeper_done || sleeper_result != CAPOS_PARK_WOKEN) f |= F_GO7;

  for (uint32_t i = 0; i < NTHREADS; i++) {
    uint64_t v = ~0ull;
    if (capos_join(ring, th[i].handle, &v) < 0) f |= F_CALLS;
    f |= v & 0xfff;
  }
  if (!g_ok(ring, m0, &gs[0])) f |= F_GO1;
  capos_line_str(&line, "go-contract-probe: result");
  capos_line_kv(&line, "failed", f);
  capos_line_flush(ring, &line);
  return (int64_t)capos_probe_status(f);
}
