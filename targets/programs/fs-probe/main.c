/*
 * fs-probe: FS base and TLS survive every switch (FSB-1, FSB-2, FSB-4, FSB-5, THRX-1..2).
 *
 * The main thread spawns NTHREADS threads, each with its own TLS block (built from PT_TLS via
 * the __tls_* linker symbols) passed as fsBase. Each thread:
 *   1. checks it started with FS base = the fsBase it was given (%fs:0 and getFsBase),
 *      its TLS holds the PT_TLS image values, and its ring (RDI) is a per-thread ring;
 *   2. builds a second TLS block and moves to it with ThreadControl.setFsBase;
 *   3. writes thread-specific TLS values, then yields (cap_enter(0, 0)) YIELDS times, sleeps,
 *      and parks on its gate word until the main thread unparks it, re-checking its FS base
 *      (%fs:0, getFsBase, a direct %fs:off load) and TLS values after every switch;
 *   4. exits with the bit mask of its failed checks (ThreadControl.exit).
 * The main thread meanwhile writes its own TLS values, yields, opens the gates one at a time
 * (gate = 1, UNPARK), joins every thread, and re-checks its own FS base and TLS.
 *
 * Failed-check mask (printed in full on the last Console line); the exit status is
 * capos_probe_status(mask): 0 = all passed, bits 0..5 as below, bit 6 = any of bits >= 6:
 *   bit 0 START   a thread's initial FS base / %fs:0 / getFsBase differ from the spawn fsBase
 *   bit 1 IMAGE   a thread's fresh TLS block does not hold the PT_TLS image values
 *   bit 2 SETFS   after setFsBase, %fs:0 or getFsBase differ from the new base
 *   bit 3 SWITCH  FS base or TLS values changed across a yield / sleep / park
 *   bit 4 MAIN    the main thread's FS base or TLS changed while the others ran
 *   bit 5 CALLS   a spawn / join / setFsBase / park / unpark / sleep call failed
 *   bit 6 RING    a spawned thread's ring equals the main ring or another thread's
 *   bit 7 JOIN    a join returned an exit value other than the thread's own report
 */
#include "capos_rt.h"

#define NTHREADS 3
#define YIELDS 4
#define STACK_SIZE 0x4000
#define TLS_AREA 0x1000

enum { F_START = 1, F_IMAGE = 2, F_SETFS = 4, F_SWITCH = 8, F_MAIN = 16, F_CALLS = 32, F_RING = 64, F_JOIN = 128 };

#define V_DATA 0x0f5b0f5b0f5b0f5bull
__thread uint64_t t_data = V_DATA;
__thread uint64_t t_bss;
__thread _Alignas(64) uint64_t t_al64 = 0x64;

#define TPOFF(sym) ({ int64_t o_; __asm__("movq $" #sym "@tpoff, %0" : "=r"(o_)); o_; })
#define FSLOAD64(sym) ({ uint64_t v_; __asm__ volatile("movq %%fs:" #sym "@tpoff, %0" : "=r"(v_)); v_; })

static uint8_t stacks[NTHREADS][STACK_SIZE] __attribute__((aligned(16)));
static uint8_t tls_a[NTHREADS][TLS_AREA] __attribute__((aligned(4096)));
static uint8_t tls_b[NTHREADS][TLS_AREA] __attribute__((aligned(4096)));
static capos_thread_t th[NTHREADS];
static volatile uint32_t gate[NTHREADS];
static volatile uintptr_t rings[NTHREADS];
static volatile uint64_t reported[NTHREADS];

static void say(uintptr_t ring, const char *what, uint64_t idx, uint64_t a, uint64_t b) {
  capos_line_t l = {.n = 0};
  capos_line_str(&l, "fs-probe: ");
  capos_line_str(&l, what);
  capos_line_kv(&l, "thread", idx);
  capos_line_kv(&l, "a", a);
  capos_line_kv(&l, "b", b);
  capos_line_flush(ring, &l);
}

/* FS base, %fs:0, getFsBase and TLS values all as expected? */
static __attribute__((noinline)) int state_ok(uintptr_t ring, uint64_t tp, uint64_t d, uint64_t bss) {
  uint64_t g = 0;
  if (capos_read_tp() != tp) return 0;
  if (capos_get_fs_base(ring, &g) < 0 || g != tp) return 0;
  if (t_data != d || FSLOAD64(t_data) != d || t_bss != bss || FSLOAD64(t_bss) != bss) return 0;
  if ((uintptr_t)&t_data != tp + TPOFF(t_data) || (uintptr_t)&t_bss != tp + TPOFF(t_bss)) return 0;
  return 1;
}

static uint64_t worker(capos_thread_t *t) {
  uintptr_t ring = t->ring;
  uint32_t i = t->index;
  uint64_t f = 0, g = 0;
  rings[i] = ring;
  uint64_t tp0 = capos_read_tp();
  say(ring, "start", i, tp0, ring);
  if (tp0 != t->fs_base || capos_get_fs_base(ring, &g) < 0 || g != t->fs_base) f |= F_START;
  if (t_data != V_DATA || t_bss != 0 || t_al64 != 0x64 || ((uintptr_t)&t_al64 & 63)) f |= F_IMAGE;

  uint64_t tp1 = capos_tls_init(tls_b[i], TLS_AREA);
  if (capos_set_fs_base(ring, tp1) < 0) f |= F_CALLS;
  say(ring, "setfs", i, tp1, capos_read_tp());
  if (capos_read_tp() != tp1 || capos_get_fs_base(ring, &g) < 0 || g != tp1) f |= F_SETFS;
  if (t_data != V_DATA || t_bss != 0) f |= F_IMAGE;

  uint64_t d = 0x1000 * (i + 1) + 0xd, bss = 0x2000 * (i + 1) + 0xb;
  t_data = d;
  t_bss = bss;
  for (int k = 0; k < YIELDS; k++) {
    capos_yield();
    if (!state_ok(ring, tp1, d, bss)) f |= F_SWITCH;
  }
  if (capos_timer_sleep(ring, 1000) < 0) f |= F_CALLS;
  if (!state_ok(ring, tp1, d, bss)) f |= F_SWITCH;
  int parks = 0;
  while (gate[i] == 0) {
    int32_t r = capos_park(ring, &gate[i], 0, CAPOS_PARK_TIMEOUT_FOREVER);
    parks++;
    if (r < 0) {
      f |= F_CALLS;
      break;
    }
    if (!state_ok(ring, tp1, d, bss)) f |= F_SWITCH;
  }
  if (!state_ok(ring, tp1, d, bss)) f |= F_SWITCH;
  say(ring, "done", i, f, (uint64_t)parks);
  reported[i] = f;
  return f;
}

int64_t capos_main(uintptr_t ring, uint64_t pid, uintptr_t capset) {
  (void)pid;
  (void)capset;
  uint64_t f = 0;
  uint64_t tp = capos_read_tp();
  t_data = 0x3a3a;
  t_bss = 0x4b4b;
  say(ring, "main", 0, tp, ring);
  for (uint32_t i = 0; i < NTHREADS; i++) {
    th[i].fn = worker;
    th[i].index = i;
    th[i].stack_top = (uint64_t)(uintptr_t)&stacks[i][STACK_SIZE];
    th[i].fs_base = capos_tls_init(tls_a[i], TLS_AREA);
    capos_status s = capos_thread_spawn(ring, &th[i]);
    say(ring, "spawned", i, th[i].fs_base, (uint64_t)s);
    if (s < 0) f |= F_CALLS;
  }
  for (int k = 0; k < YIELDS; k++) {
    capos_yield();
    if (!state_ok(ring, tp, 0x3a3a, 0x4b4b)) f |= F_MAIN;
  }
  if (capos_timer_sleep(ring, 10000) < 0) f |= F_CALLS;
  for (uint32_t i = 0; i < NTHREADS; i++) {
    gate[i] = 1;
    if (capos_unpark(ring, &gate[i], 1) < 0) f |= F_CALLS;
    if (!state_ok(ring, tp, 0x3a3a, 0x4b4b)) f |= F_MAIN;
  }
  for (uint32_t i = 0; i < NTHREADS; i++) {
    uint64_t v = ~0ull;
    if (capos_join(ring, th[i].handle, &v) < 0) {
      f |= F_CALLS;
      continue;
    }
    say(ring, "joined", i, v, rings[i]);
    f |= v & 0xff;
    if (v != reported[i]) f |= F_JOIN;
    if (rings[i] == ring || rings[i] == 0) f |= F_RING;
    for (uint32_t j = 0; j < i; j++)
      if (rings[j] == rings[i]) f |= F_RING;
  }
  if (!state_ok(ring, tp, 0x3a3a, 0x4b4b)) f |= F_MAIN;
  say(ring, "result", 0, f, 0);
  return (int64_t)capos_probe_status(f);
}
