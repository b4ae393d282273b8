/*
 * agent: the generic guest for property tests (spec/agent-protocol.ts).
 *
 * The op script lives in the section AGENT_SCRIPT_SECTION (".capos_script") at the symbol
 * AGENT_SCRIPT_SYMBOL ("capos_script"): AGENT_SCRIPT_CAPACITY zero bytes in the file, inside
 * the RW data PT_LOAD. The harness overwrites the first bytes of that section in the ELF file
 * (file offset = section sh_offset, or symbol value - PT_LOAD p_vaddr + p_offset) with
 * encodeScript(script); no rebuild per case.
 *
 * For every op the effective operand is A = a + r[base] (r0 reads as 0). TLS_READ/TLS_WRITE
 * are direct %fs:tpoff accesses, TLS_ADDR is %fs:0 + tpoff; EXIT's code is A & 0xff. After each op the
 * agent prints "@1 <thread> <opIndex> <ok|exc|err> <value>\n" with one Console.write.
 * EXIT and THREAD_EXIT end the process / thread and print no record. A malformed script
 * (bad magic/version/tables, unknown kind, register out of range, LOAD/STORE size outside
 * 1..8, SPAWN/JOIN of a thread that does not exist, is thread 0, is spawned twice or was
 * never spawned, TLS index out of range, RELEASE_HANDLE or a RING_BATCH JOIN of a thread never
 * spawned, a RING_BATCH of sqEntries + cqEntries SQEs or more) ends the process with
 * exit(AGENT_BAD_SCRIPT_EXIT).
 * When thread 0 runs out of ops the agent calls exit(0); other threads ThreadControl.exit(0).
 */
#include "capos_rt.h"
#include "capos_agent.h"

#define STR_(x) #x
#define STR(x) STR_(x)

__asm__(".section " AGENT_SCRIPT_SECTION ",\"aw\",@progbits\n"
        ".globl " STR(AGENT_SCRIPT_SYMBOL) "\n"
        ".type " STR(AGENT_SCRIPT_SYMBOL) ",@object\n"
        ".p2align 4\n" STR(AGENT_SCRIPT_SYMBOL) ":\n"
        ".zero " STR(AGENT_SCRIPT_CAPACITY) "\n"
        ".size " STR(AGENT_SCRIPT_SYMBOL) ", " STR(AGENT_SCRIPT_CAPACITY) "\n"
        ".text\n");
extern const volatile uint8_t AGENT_SCRIPT_SYMBOL[AGENT_SCRIPT_CAPACITY];
#define SCRIPT AGENT_SCRIPT_SYMBOL

/* TLS variables, AGENT_TLS_INITIAL order: .tdata, .tdata, .tbss, 64-aligned .tdata */
__thread uint64_t agent_tls0 = AGENT_TLS_INITIAL_0;
__thread uint64_t agent_tls1 = AGENT_TLS_INITIAL_1;
__thread uint64_t agent_tls2;
__thread _Alignas(64) uint64_t agent_tls3 = AGENT_TLS_INITIAL_3;
_Static_assert(AGENT_TLS_INITIAL_2 == 0, "variable 2 is the .tbss one");
_Static_assert(AGENT_TLS_VARS == 4, "the agent declares four TLS variables");

/* TLS ops per spec/agent-protocol.ts: READ/WRITE are direct %fs:tpoff accesses (after SET_FS
 * they go wherever FS points); ADDR is %fs:0 + tpoff. Returns 0 for a bad index. */
#define TLS_CASE(n)                                                                              \
  case n:                                                                                        \
    if (op == AGENT_OP_TLS_READ)                                                                 \
      __asm__ volatile("movq %%fs:agent_tls" #n "@tpoff, %0" : "=r"(*v));                        \
    else if (op == AGENT_OP_TLS_WRITE)                                                           \
      __asm__ volatile("movq %0, %%fs:agent_tls" #n "@tpoff" : : "r"(w) : "memory");             \
    else                                                                                         \
      __asm__ volatile("movq %%fs:0, %0\n\taddq $agent_tls" #n "@tpoff, %0" : "=r"(*v) : : "cc"); \
    return 1;
static int tls_op(int op, uint64_t i, uint64_t w, uint64_t *v) {
  switch (i) {
    TLS_CASE(0)
    TLS_CASE(1)
    TLS_CASE(2)
    TLS_CASE(3)
    default: return 0;
  }
}

#define STACK_SIZE 0x4000
#define TLS_AREA_SIZE 0x1000
static volatile uint64_t regs[AGENT_SCRIPT_REGISTERS];
static capos_thread_t threads[AGENT_MAX_THREADS];
static volatile uint8_t spawned[AGENT_MAX_THREADS];
static uint8_t stacks[AGENT_MAX_THREADS][STACK_SIZE] __attribute__((aligned(16)));
static uint8_t tls_areas[AGENT_MAX_THREADS][TLS_AREA_SIZE] __attribute__((aligned(AGENT_PAGE_SIZE)));
static uint16_t thread_count;
static uint32_t op_count;

/* Script fields are read with one load each (little-endian, as the format is): a byte-at-a-time
 * loop was the agent's hottest code. The may_alias, aligned(1) types make the loads valid at any
 * offset of the byte array; every field is in fact naturally aligned (the slot is 16-aligned,
 * the header 16 bytes, thread entries 8, ops 32). Still volatile: the slot is patched in the
 * file after the build, so the compiler must not assume anything about its contents. */
typedef uint16_t __attribute__((may_alias, aligned(1))) agent_u16;
typedef uint32_t __attribute__((may_alias, aligned(1))) agent_u32;
typedef uint64_t __attribute__((may_alias, aligned(1))) agent_u64;
static uint64_t rd64(uint32_t off) { return *(const volatile agent_u64 *)&SCRIPT[off]; }
static uint32_t rd32(uint32_t off) { return *(const volatile agent_u32 *)&SCRIPT[off]; }
static uint16_t rd16(uint32_t off) { return *(const volatile agent_u16 *)&SCRIPT[off]; }

static __attribute__((noreturn)) void bad_script(uintptr_t ring, const char *why) {
  capos_line_t l = {.n = 0};
  capos_line_str(&l, "agent: bad script: ");
  capos_line_str(&l, why);
  capos_line_flush(ring, &l);
  capos_exit(AGENT_BAD_SCRIPT_EXIT);
}

static uint32_t ops_at(void) { return AGENT_SCRIPT_HEADER_SIZE + (uint32_t)thread_count * AGENT_SCRIPT_THREAD_ENTRY_SIZE; }

/* Ring and capability ops (spec/agent-protocol.ts, 24..31). */
static int ring_op_kind(uint8_t kind) { return kind == AGENT_OP_RELEASE_HANDLE || kind == AGENT_OP_RING_BATCH; }

static void validate(uintptr_t ring) {
  if (rd32(0) != AGENT_SCRIPT_MAGIC) bad_script(ring, "magic");
  if (rd16(4) != AGENT_SCRIPT_VERSION) bad_script(ring, "version");
  thread_count = rd16(6);
  op_count = rd32(8);
  if (thread_count < 1) bad_script(ring, "no threads");
  if ((uint64_t)ops_at() + (uint64_t)op_count * AGENT_SCRIPT_OP_SIZE > AGENT_SCRIPT_CAPACITY) bad_script(ring, "size");
  for (uint32_t t = 0; t < thread_count; t++) {
    uint32_t first = rd32(AGENT_SCRIPT_HEADER_SIZE + t * 8), count = rd32(AGENT_SCRIPT_HEADER_SIZE + t * 8 + 4);
    if ((uint64_t)first + count > op_count) bad_script(ring, "thread table");
  }
  for (uint32_t i = 0; i < op_count; i++) {
    uint32_t at = ops_at() + i * AGENT_SCRIPT_OP_SIZE;
    uint64_t head = rd64(at); /* kind, dst, base in its low three bytes */
    uint8_t kind = (uint8_t)head, dst = (uint8_t)(head >> 8), base = (uint8_t)(head >> 16);
    if ((kind < AGENT_OP_MAP || kind > AGENT_OP_SPIN) && kind != AGENT_OP_PARK_ASYNC && !ring_op_kind(kind)) bad_script(ring, "op kind");
    if (dst >= AGENT_SCRIPT_REGISTERS || base >= AGENT_SCRIPT_REGISTERS) bad_script(ring, "register");
    uint64_t b = rd64(at + 16);
    if ((kind == AGENT_OP_LOAD || kind == AGENT_OP_STORE) && (b < 1 || b > 8)) bad_script(ring, "access size");
  }
}

static uint64_t load_n(uint64_t addr, uint64_t n) {
  switch (n) {
    case 1: return *(volatile uint8_t *)(uintptr_t)addr;
    case 2: return *(volatile uint16_t *)(uintptr_t)addr;
    case 4: return *(volatile uint32_t *)(uintptr_t)addr;
    case 8: return *(volatile uint64_t *)(uintptr_t)addr;
    default: {
      uint64_t v = 0;
      for (uint64_t i = n; i-- > 0;) v = (v << 8) | *(volatile uint8_t *)(uintptr_t)(addr + i);
      return v;
    }
  }
}
static void store_n(uint64_t addr, uint64_t n, uint64_t v) {
  switch (n) {
    case 1: *(volatile uint8_t *)(uintptr_t)addr = (uint8_t)v; break;
    case 2: *(volatile uint16_t *)(uintptr_t)addr = (uint16_t)v; break;
    case 4: *(volatile uint32_t *)(uintptr_t)addr = (uint32_t)v; break;
    case 8: *(volatile uint64_t *)(uintptr_t)addr = v; break;
    default:
      for (uint64_t i = 0; i < n; i++) *(volatile uint8_t *)(uintptr_t)(addr + i) = (uint8_t)(v >> (8 * i));
  }
}

static uint64_t run_thread(uint32_t t, uintptr_t ring);

/* PARK_ASYNC: submit a PARK and let the kernel take it (cap_enter drains the SQ, ENTER-1)
 * without waiting for its completion. Its user_data (PARK_ASYNC_TAG in the high half) never
 * equals the tag-1 user_data capos_rt_op waits for, so later ops drop its CQE. */
#define PARK_ASYNC_TAG 2
static capos_status park_async(uintptr_t ring, uint64_t addr, uint32_t expected, uint64_t timeout_ns) {
  volatile uint8_t *sqe = capos_sqe_next(ring);
  if (!sqe) return CAPOS_TERR_INVALID_SQE;
  capos_sqe_set_opcode(sqe, CAPOS_OP_PARK);
  capos_sqe_set_cap_id(sqe, capos_caps.park);
  capos_sqe_park_set_addr(sqe, addr);
  capos_sqe_park_set_expected(sqe, expected);
  capos_sqe_park_set_timeout_ns(sqe, timeout_ns);
  capos_sqe_set_user_data(sqe, (uint64_t)capos_ring_hdr_get_sq_tail((void *)ring) | ((uint64_t)PARK_ASYNC_TAG << 32));
  capos_sq_publish(ring);
  capos_yield();
  return 0;
}

static uint64_t thread_fn(capos_thread_t *th) { return run_thread(th->index, th->ring); }

static capos_status do_spawn(uintptr_t ring, uint64_t a) {
  if (a == 0 || a >= thread_count || a >= AGENT_MAX_THREADS || spawned[a]) bad_script(ring, "spawn");
  capos_thread_t *th = &threads[a];
  th->fn = thread_fn;
  th->index = (uint32_t)a;
  th->stack_top = (uint64_t)(uintptr_t)&stacks[a][STACK_SIZE];
  th->fs_base = capos_tls_init(tls_areas[a], TLS_AREA_SIZE);
  if (!th->fs_base) bad_script(ring, "TLS block does not fit");
  spawned[a] = 1;
  capos_status s = capos_thread_spawn(ring, th);
  return s < 0 ? s : 0;
}

/* The handle of a spawned script thread, as JOIN and RELEASE_HANDLE name it. */
static uint32_t handle_of(uintptr_t ring, uint64_t a, const char *why) {
  if (a == 0 || a >= thread_count || a >= AGENT_MAX_THREADS || !spawned[a]) bad_script(ring, why);
  return threads[a].handle;
}

/* RING_BATCH: an optional JOIN of thread a, then b NOPs, one cap_enter(0, 0) whose return is
 * reported, c more without reaping, then reap every completion (spec/agent-protocol.ts). */
static capos_status do_batch(uintptr_t ring, uint64_t a, uint64_t b, uint64_t c, uint64_t *v) {
  capos_join_req_t req; /* on this thread's stack: the kernel writes the JOIN's result here */
  uint8_t done[CAPOS_RING_SQ_ENTRIES + CAPOS_RING_CQ_ENTRIES];
  uint64_t lead = a != 0, total = lead + b;
  if (total >= (uint64_t)CAPOS_RING_SQ_ENTRIES + CAPOS_RING_CQ_ENTRIES) bad_script(ring, "batch size");
  uint32_t join_handle = lead ? handle_of(ring, a, "batch join") : 0;
  /* user_data: a tag above anything capos_rt_op uses (1 << 32 | slot), then the SQE's index. */
  const uint64_t tag = (uint64_t)0xba7c << 48;
  for (uint64_t i = 0; i < total; i++) {
    volatile uint8_t *sqe;
    while (!(sqe = capos_sqe_next(ring))) capos_cap_enter(0, 0);
    if (i == 0 && lead) capos_join_prepare(sqe, join_handle, &req);
    else capos_sqe_set_opcode(sqe, CAPOS_OP_NOP);
    capos_sqe_set_user_data(sqe, tag | i);
    capos_sq_publish(ring);
  }
  int64_t entered = capos_cap_enter(0, 0);
  for (uint64_t k = 0; k < c; k++) capos_cap_enter(0, 0);
  uint64_t seen = 0, anomalies = 0;
  int32_t lead_result = 0;
  for (uint64_t i = 0; i < total; i++) done[i] = 0;
  while (seen < total && anomalies == 0) {
    capos_cqe_t cqe;
    while (capos_cq_pop(ring, &cqe)) {
      if (cqe.user_data >> 32 == PARK_ASYNC_TAG) continue; /* a PARK_ASYNC completion: dropped, as everywhere */
      uint64_t i = cqe.user_data ^ tag;
      if (i >= total || done[i] || (!(lead && i == 0) && cqe.result != 0)) {
        anomalies++;
        continue;
      }
      done[i] = 1;
      seen++;
      if (lead && i == 0) lead_result = cqe.result;
    }
    if (seen < total && anomalies == 0) capos_cap_enter(1, CAPOS_CAP_ENTER_WAIT_FOREVER);
  }
  if (lead && anomalies == 0) {
    capos_status s = capos_join_finish(&req, lead_result, 0);
    if (s < 0) return s;
  }
  *v = (uint64_t)entered | anomalies << AGENT_BATCH_ANOMALY_SHIFT;
  return 0;
}

/* Record formatting: the line is built in place with two characters per step from pair
 * tables, then written with one Console.write (as capos_line_flush did: same bytes, same call). */
#define PAIRS10(x) x "0" x "1" x "2" x "3" x "4" x "5" x "6" x "7" x "8" x "9"
#define PAIRS16(x) PAIRS10(x) x "a" x "b" x "c" x "d" x "e" x "f"
static const char dec_pairs[] = PAIRS10("0") PAIRS10("1") PAIRS10("2") PAIRS10("3") PAIRS10("4") PAIRS10("5") PAIRS10("6")
    PAIRS10("7") PAIRS10("8") PAIRS10("9");
static const char hex_pairs[] = PAIRS16("0") PAIRS16("1") PAIRS16("2") PAIRS16("3") PAIRS16("4") PAIRS16("5") PAIRS16("6")
    PAIRS16("7") PAIRS16("8") PAIRS16("9") PAIRS16("a") PAIRS16("b") PAIRS16("c") PAIRS16("d") PAIRS16("e") PAIRS16("f");
_Static_assert(sizeof dec_pairs == 201 && sizeof hex_pairs == 513, "one pair per value");
static void put_pair(char *p, const char *pair) { *(agent_u16 *)p = *(const agent_u16 *)pair; }

/* u in decimal at p, no leading zeros; returns the end. */
static char *put_dec(char *p, uint64_t u) {
  unsigned n = 1;
  for (uint64_t x = u; x >= 10 && n < 20; x /= 10) n++;
  char *end = p + n, *q = end;
  while (u >= 100) {
    q -= 2;
    put_pair(q, &dec_pairs[2 * (u % 100)]);
    u /= 100;
  }
  if (u >= 10) put_pair(q - 2, &dec_pairs[2 * u]);
  else q[-1] = (char)('0' + u);
  return end;
}
/* v in lowercase hex without 0x or leading zeros (0 is "0"); returns the end. */
static char *put_hex(char *p, uint64_t v) {
  unsigned n = v ? (unsigned)(67 - __builtin_clzll(v)) / 4 : 1;
  char *end = p + n, *q = end;
  for (; q - p >= 2; v >>= 8) {
    q -= 2;
    put_pair(q, &hex_pairs[2 * (v & 0xff)]);
  }
  if (q > p) q[-1] = hex_pairs[2 * (v & 15) + 1];
  return end;
}
/* Four literal characters with one store. */
static char *put4(char *p, const char *four) {
  *(agent_u32 *)p = *(const agent_u32 *)four;
  return p + 4;
}

/* "@1 <t> <i> ok <hex>" / " exc <type>" / " err <-code>", newline, one Console.write. */
static void record(uintptr_t ring, uint32_t t, uint32_t i, capos_status s, uint64_t value) {
  char line[64]; /* at most 3 + 10 + 1 + 10 + 5 + 20 + 1 bytes */
  char *p = line;
  *p++ = '@';
  *p++ = '1';
  *p++ = ' ';
  p = put_dec(p, t);
  *p++ = ' ';
  p = put_dec(p, i);
  if (s >= 0) {
    p = put4(p, " ok ");
    p = put_hex(p, value);
  } else if (s <= CAPOS_STATUS_EXC_BASE) {
    p = put4(p, " exc");
    *p++ = ' ';
    p = put_dec(p, (uint64_t)(CAPOS_STATUS_EXC_BASE - s));
  } else {
    p = put4(p, " err");
    put_pair(p, " -");
    p += 2;
    p = put_dec(p, 0 - (uint64_t)s);
  }
  *p++ = '\n';
  capos_console_write(ring, line, (uint32_t)(p - line));
}

static uint64_t run_thread(uint32_t t, uintptr_t ring) {
  uint32_t first = rd32(AGENT_SCRIPT_HEADER_SIZE + t * 8), count = rd32(AGENT_SCRIPT_HEADER_SIZE + t * 8 + 4);
  for (uint32_t i = 0; i < count; i++) {
    uint32_t at = ops_at() + (first + i) * AGENT_SCRIPT_OP_SIZE;
    uint64_t head = rd64(at);
    uint8_t kind = (uint8_t)head, dst = (uint8_t)(head >> 8), base = (uint8_t)(head >> 16);
    uint64_t a = rd64(at + 8) + (base ? regs[base] : 0), b = rd64(at + 16), c = rd64(at + 24);
    uint64_t v = 0;
    capos_status s = 0;
    switch (kind) {
      case AGENT_OP_MAP: s = capos_vm_map(ring, a, b, (uint32_t)c, &v); break;
      case AGENT_OP_UNMAP: s = capos_vm_unmap(ring, a, b); break;
      case AGENT_OP_PROTECT: s = capos_vm_protect(ring, a, b, (uint32_t)c); break;
      case AGENT_OP_RESERVE: s = capos_vm_reserve(ring, a, b, &v); break;
      case AGENT_OP_COMMIT: s = capos_vm_commit(ring, a, b, (uint32_t)c); break;
      case AGENT_OP_DECOMMIT: s = capos_vm_decommit(ring, a, b); break;
      case AGENT_OP_LOAD: v = load_n(a, b); break;
      case AGENT_OP_STORE: store_n(a, b, c); break;
      case AGENT_OP_PARK:
        s = capos_park(ring, (volatile uint32_t *)(uintptr_t)a, (uint32_t)b, c);
        v = (uint64_t)s;
        break;
      case AGENT_OP_UNPARK:
        s = capos_unpark(ring, (volatile uint32_t *)(uintptr_t)a, (uint32_t)b);
        v = (uint64_t)s;
        break;
      case AGENT_OP_SPAWN: s = do_spawn(ring, a); break;
      case AGENT_OP_JOIN:
        if (a == 0 || a >= thread_count || a >= AGENT_MAX_THREADS || !spawned[a]) bad_script(ring, "join");
        s = capos_join(ring, threads[a].handle, &v);
        break;
      case AGENT_OP_SET_FS: s = capos_set_fs_base(ring, a); break;
      case AGENT_OP_GET_FS: s = capos_get_fs_base(ring, &v); break;
      case AGENT_OP_TLS_READ:
      case AGENT_OP_TLS_WRITE:
      case AGENT_OP_TLS_ADDR:
        if (!tls_op(kind, a, b, &v)) bad_script(ring, "tls index");
        break;
      case AGENT_OP_NOW: s = capos_timer_now(ring, &v); break;
      case AGENT_OP_SLEEP: s = capos_timer_sleep(ring, a); break;
      case AGENT_OP_YIELD: capos_yield(); break;
      case AGENT_OP_RELEASE_HANDLE:
        s = capos_release(ring, handle_of(ring, a, "release"));
        break;
      case AGENT_OP_RING_BATCH: s = do_batch(ring, a, b, c, &v); break;
      case AGENT_OP_SPIN:
        for (uint64_t k = 0; k < a; k++) __asm__ volatile("" ::: "memory");
        break;
      case AGENT_OP_PARK_ASYNC: s = park_async(ring, a, (uint32_t)b, c); break;
      case AGENT_OP_EXIT: capos_exit(a & 0xff);
      case AGENT_OP_THREAD_EXIT: capos_thread_exit(ring, a);
      default: bad_script(ring, "op kind");
    }
    if (s >= 0) {
      if (dst) regs[dst] = v;
    } else {
      v = 0;
    }
    record(ring, t, i, s, v);
  }
  return 0;
}

int64_t capos_main(uintptr_t ring, uint64_t pid, uintptr_t capset) {
  (void)pid;
  (void)capset;
  validate(ring);
  run_thread(0, ring);
  return 0;
}
