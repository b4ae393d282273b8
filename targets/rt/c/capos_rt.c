/* Minimal capOS C runtime; see capos_rt.h. No ABI numbers here: all from capos_abi.h. */
#include "capos_rt.h"

#define STR_(x) #x
#define STR(x) STR_(x)

capos_caps_t capos_caps;
uintptr_t capos_capset_addr;
uintptr_t capos_main_ring;
uint64_t capos_pid;

/* _start: ring/pid/capset arrive in the binding's entry registers. Move them into the
 * SysV argument registers through the stack (works for any permutation), align the stack
 * and call capos_start_c. TLS and FS base are already set up by the kernel. */
__asm__(".section .text.start,\"ax\",@progbits\n"
        ".globl _start\n"
        ".type _start,@function\n"
        "_start:\n"
        "  push " CAPOS_ENTRY_RING_REG "\n"
        "  push " CAPOS_ENTRY_PID_REG "\n"
        "  push " CAPOS_ENTRY_CAPSET_REG "\n"
        "  pop %rdx\n"
        "  pop %rsi\n"
        "  pop %rdi\n"
        "  xor %ebp, %ebp\n"
        "  and $-16, %rsp\n"
        "  call capos_start_c\n"
        "  ud2\n"
        ".size _start, .-_start\n"
        /* Spawned threads: ring and arg in the binding's registers (FSB-2). */
        ".globl capos_thread_entry\n"
        ".type capos_thread_entry,@function\n"
        "capos_thread_entry:\n"
        "  push " CAPOS_ENTRY_RING_REG "\n"
        "  push " CAPOS_ENTRY_THREAD_ARG_REG "\n"
        "  pop %rsi\n"
        "  pop %rdi\n"
        "  xor %ebp, %ebp\n"
        "  and $-16, %rsp\n"
        "  call capos_thread_main\n"
        "  ud2\n"
        ".size capos_thread_entry, .-capos_thread_entry\n"
        ".text\n");

__attribute__((noreturn, used)) void capos_start_c(uintptr_t ring, uint64_t pid, uintptr_t capset);
__attribute__((noreturn, used)) void capos_thread_main(uintptr_t ring, capos_thread_t *t);

void capos_start_c(uintptr_t ring, uint64_t pid, uintptr_t capset) {
  capos_main_ring = ring;
  capos_pid = pid;
  capos_capset_addr = capset;
  static const uint64_t iids[6] = {CAPOS_IID_CONSOLE, CAPOS_IID_VIRTUAL_MEMORY, CAPOS_IID_PARK_SPACE,
                                   CAPOS_IID_THREAD_SPAWNER, CAPOS_IID_THREAD_CONTROL, CAPOS_IID_TIMER};
  uint32_t *slots[6] = {&capos_caps.console, &capos_caps.vm, &capos_caps.park,
                        &capos_caps.spawner, &capos_caps.thread_control, &capos_caps.timer};
  /* One pass over the CapSet (what capos_capset_lookup for each of the six would find: the first
   * entry carrying each interface id). Each entry is compared first with the lowest interface not
   * found yet, so a CapSet in grant order costs one compare per entry; six lookups were 280
   * instructions of every agent run. */
  uint32_t n = capos_capset_count(capset), found = 0, first = 0;
  for (uint32_t j = 0; j < n && first < 6; j++) {
    const void *e = (const void *)(capset + CAPOS_CAPSET_HEADER_SIZE + (uintptr_t)j * CAPOS_CAPSET_ENTRY_SIZE);
    uint64_t iid = capos_capset_entry_get_interface_id(e);
    for (uint32_t i = first; i < 6; i++) {
      if (!(found >> i & 1) && iid == iids[i]) {
        *slots[i] = capos_capset_entry_get_cap_id(e);
        found |= 1u << i;
        while (first < 6 && (found >> first & 1)) first++;
        break;
      }
    }
  }
  capos_caps.found |= found;
  int64_t status = capos_main(ring, pid, capset);
  capos_exit((uint64_t)status);
}

void capos_thread_main(uintptr_t ring, capos_thread_t *t) {
  t->ring = ring;
  uint64_t v = t->fn(t);
  capos_thread_exit(ring, v);
}

/* ---- memory helpers: rep movsb/stosb so the compiler cannot turn them into self-calls */
void *memcpy(void *d, const void *s, size_t n) {
  void *r = d;
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
  return r;
}
void *memset(void *d, int c, size_t n) {
  void *r = d;
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  return r;
}
void *memmove(void *d, const void *s, size_t n) {
  if ((uintptr_t)d <= (uintptr_t)s || (uintptr_t)d >= (uintptr_t)s + n) return memcpy(d, s, n);
  volatile uint8_t *dd = d;
  const volatile uint8_t *ss = s;
  while (n--) dd[n] = ss[n];
  return d;
}
int memcmp(const void *a, const void *b, size_t n) {
  const volatile uint8_t *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}
size_t capos_strlen(const char *s) {
  const volatile char *p = s;
  size_t n = 0;
  while (p[n]) n++;
  return n;
}

/* ---- CapSet */
uint32_t capos_capset_count(uintptr_t capset) {
  if (capset == 0) return 0; /* no CapSet page */
  if (capos_capset_hdr_get_magic((const void *)capset) != CAPOS_CAPSET_MAGIC) return 0;
  return capos_capset_hdr_get_count((const void *)capset);
}
int capos_capset_lookup(uintptr_t capset, uint64_t interface_id, uint32_t *cap_id) {
  uint32_t n = capos_capset_count(capset);
  for (uint32_t i = 0; i < n; i++) {
    const void *e = (const void *)(capset + CAPOS_CAPSET_HEADER_SIZE + (uintptr_t)i * CAPOS_CAPSET_ENTRY_SIZE);
    if (capos_capset_entry_get_interface_id(e) == interface_id) {
      *cap_id = capos_capset_entry_get_cap_id(e);
      return 0;
    }
  }
  return -1;
}

/* ---- ring */
_Static_assert(CAPOS_RING_SQ_OFFSET % 8 == 0 && CAPOS_SQE_SIZE % 8 == 0, "SQEs are 8-aligned");
volatile uint8_t *capos_sqe_next(uintptr_t ring) {
  const void *r = (const void *)ring;
  uint32_t tail = capos_ring_hdr_get_sq_tail(r), head = capos_ring_hdr_get_sq_head(r);
  if ((uint32_t)(tail - head) >= CAPOS_RING_SQ_ENTRIES) return 0;
  volatile uint8_t *sqe = (volatile uint8_t *)(ring + CAPOS_RING_SQ_OFFSET + (uintptr_t)(tail % CAPOS_RING_SQ_ENTRIES) * CAPOS_SQE_SIZE);
  /* Zeroed eight bytes at a time: every SQE is 8-aligned in the ring page (the ring is a page,
   * the SQ offset and the entry size are multiples of 8); a byte loop was 256 instructions. */
  volatile uint64_t *words = (volatile uint64_t *)sqe;
#pragma GCC unroll 8
  for (uint32_t i = 0; i < CAPOS_SQE_SIZE / 8; i++) words[i] = 0;
  return sqe;
}
void capos_sq_publish(uintptr_t ring) {
  CAPOS_BARRIER();
  capos_ring_hdr_set_sq_tail((void *)ring, capos_ring_hdr_get_sq_tail((void *)ring) + 1);
  CAPOS_BARRIER();
}
int capos_cq_pop(uintptr_t ring, capos_cqe_t *out) {
  void *r = (void *)ring;
  uint32_t head = capos_ring_hdr_get_cq_head(r);
  if (head == capos_ring_hdr_get_cq_tail(r)) return 0;
  CAPOS_BARRIER();
  const volatile uint8_t *c = (const volatile uint8_t *)(ring + CAPOS_RING_CQ_OFFSET + (uintptr_t)(head % CAPOS_RING_CQ_ENTRIES) * CAPOS_CQE_SIZE);
  out->user_data = capos_cqe_get_user_data(c);
  out->result = capos_cqe_get_result(c);
  out->flags = capos_cqe_get_flags(c);
  out->cap_id = capos_cqe_get_cap_id(c);
  out->interface_id = capos_cqe_get_interface_id(c);
  CAPOS_BARRIER();
  capos_ring_hdr_set_cq_head(r, head + 1);
  return 1;
}
int32_t capos_rt_op(uintptr_t ring, volatile uint8_t *sqe, capos_cqe_t *cqe) {
  /* user_data: the SQ slot sequence number, unique among in-flight ops on this ring */
  uint64_t ud = (uint64_t)capos_ring_hdr_get_sq_tail((void *)ring) | ((uint64_t)1 << 32);
  capos_sqe_set_user_data(sqe, ud);
  capos_sq_publish(ring);
  for (;;) {
    capos_cap_enter(1, CAPOS_CAP_ENTER_WAIT_FOREVER);
    while (capos_cq_pop(ring, cqe))
      if (cqe->user_data == ud) return cqe->result;
  }
}

/* ---- Cap'n Proto messages */
uint8_t *capos_msg_init(uint64_t *buf, uint32_t dw, uint32_t pw, uint32_t *len_out) {
  uint32_t words = 1 + dw + pw;
  buf[0] = (uint64_t)words << 32;                          /* 1 segment; its size in words */
  buf[1] = ((uint64_t)pw << 48) | ((uint64_t)dw << 32);      /* root struct pointer, offset 0 */
  for (uint32_t i = 0; i < dw + pw; i++) buf[2 + i] = 0;
  if (len_out) *len_out = 8 + 8 * words;
  return (uint8_t *)&buf[2];
}
uint32_t capos_msg_set_data(uint64_t *buf, uint32_t dw, uint32_t pw, uint32_t index, const void *bytes, uint32_t n) {
  uint32_t words = (uint32_t)(buf[0] >> 32);
  uint32_t list_word = words; /* segment word index where the list starts */
  uint32_t ptr_word = 1 + dw + index;
  uint32_t nwords = (n + 7) / 8;
  (void)pw;
  if (nwords) buf[1 + list_word + nwords - 1] = 0;
  memcpy(&buf[1 + list_word], bytes, n);
  int64_t off = (int64_t)list_word - (int64_t)(ptr_word + 1);
  buf[1 + ptr_word] = 1u | ((uint64_t)(uint32_t)(off << 2) & 0xffffffffu) | ((uint64_t)2 << 32) | ((uint64_t)n << 35);
  words += nwords;
  buf[0] = (uint64_t)words << 32;
  return 8 + 8 * words;
}
int capos_msg_root(const void *buf, uint32_t len, const uint8_t **data, uint32_t *dw) {
  const uint8_t *b = buf;
  if (len < 16) return -1;
  uint32_t segs = *(const uint32_t *)b + 1;
  uint32_t table = ((4 * (segs + 1)) + 7) & ~7u;
  if (segs > 512 || table + 8 > len) return -1;
  uint32_t seg_words = *(const uint32_t *)(b + 4);
  const uint8_t *seg = b + table;
  if (table + 8ull * seg_words > len || seg_words < 1) return -1;
  uint64_t p = *(const uint64_t *)seg;
  if (p == 0) { /* null root: empty struct, all fields default */
    *data = seg;
    *dw = 0;
    return 0;
  }
  if ((p & 3) != 0) return -1;
  int32_t off = (int32_t)(uint32_t)p >> 2;
  uint32_t sdw = (uint32_t)(p >> 32) & 0xffff, spw = (uint32_t)(p >> 48);
  int64_t start = 1 + (int64_t)off;
  if (start < 0 || start + sdw + spw > seg_words) return -1;
  *data = seg + 8 * start;
  *dw = sdw;
  return 0;
}

void capos_sqe_call(volatile uint8_t *sqe, uint32_t cap, uint16_t method, const void *params, uint32_t params_len,
                    void *result, uint32_t result_len) {
  capos_sqe_set_opcode(sqe, CAPOS_OP_CALL);
  capos_sqe_set_cap_id(sqe, cap);
  capos_sqe_call_set_addr(sqe, (uint64_t)(uintptr_t)params);
  capos_sqe_call_set_len(sqe, params_len);
  capos_sqe_call_set_method_id(sqe, method);
  capos_sqe_call_set_result_addr(sqe, (uint64_t)(uintptr_t)result);
  capos_sqe_call_set_result_len(sqe, result_len);
}

capos_status capos_call(uintptr_t ring, uint32_t cap, uint16_t method, const void *params, uint32_t params_len,
                        void *result, uint32_t result_len, capos_cqe_t *cqe) {
  volatile uint8_t *sqe = capos_sqe_next(ring);
  if (!sqe) return CAPOS_TERR_INVALID_SQE;
  capos_sqe_call(sqe, cap, method, params, params_len, result, result_len);
  return capos_call_status(capos_rt_op(ring, sqe, cqe), result, result_len);
}

capos_status capos_call_status(int32_t r, const void *result, uint32_t result_len) {
  if (r == CAPOS_TERR_APPLICATION_EXCEPTION) {
    const uint8_t *d;
    uint32_t dw;
    if (capos_msg_root(result, result_len, &d, &dw) == 0 && dw * 8 >= CAPOS_CAP_EXCEPTION_TYPE + 2)
      return CAPOS_STATUS_EXC_BASE - *(const uint16_t *)(d + CAPOS_CAP_EXCEPTION_TYPE);
    return CAPOS_STATUS_EXC_BASE;
  }
  return r;
}

/* One call with a small fixed-size params struct and result struct. */
typedef struct {
  uint64_t p[16];
  uint64_t r[32];
  uint32_t plen;
  const uint8_t *rdata;
  uint32_t rdw;
} capos_msgs_t;

static capos_status simple_call(uintptr_t ring, uint32_t cap, uint16_t method, capos_msgs_t *m, capos_cqe_t *cqe) {
  capos_cqe_t local;
  if (!cqe) cqe = &local;
  capos_status s = capos_call(ring, cap, method, m->p, m->plen, m->r, sizeof m->r, cqe);
  if (s < 0) return s;
  if (capos_msg_root(m->r, (uint32_t)s, &m->rdata, &m->rdw) != 0) return CAPOS_STATUS_BAD_RESULT;
  return s;
}

capos_status capos_console_write(uintptr_t ring, const void *bytes, uint32_t n) {
  const uint8_t *b = bytes;
  do {
    uint32_t chunk = n > 512 ? 512 : n;
    uint64_t buf[4 + 512 / 8];
    capos_msgs_t m;
    capos_msg_init(buf, CAPOS_CONSOLE_WRITE_PARAMS_DATA_WORDS, CAPOS_CONSOLE_WRITE_PARAMS_PTR_WORDS, 0);
    uint32_t len = capos_msg_set_data(buf, CAPOS_CONSOLE_WRITE_PARAMS_DATA_WORDS, CAPOS_CONSOLE_WRITE_PARAMS_PTR_WORDS,
                                      CAPOS_CONSOLE_WRITE_PARAMS_DATA_PTR, b, chunk);
    capos_cqe_t cqe;
    capos_status s = capos_call(ring, capos_caps.console, CAPOS_METHOD_CONSOLE_WRITE, buf, len, m.r, sizeof m.r, &cqe);
    if (s < 0) return s;
    b += chunk;
    n -= chunk;
  } while (n);
  return 0;
}

#define PARAMS(m, IFACE_METHOD) capos_msg_init((m).p, IFACE_METHOD##_PARAMS_DATA_WORDS, IFACE_METHOD##_PARAMS_PTR_WORDS, &(m).plen)

capos_status capos_vm_map(uintptr_t ring, uint64_t hint, uint64_t size, uint32_t prot, uint64_t *addr) {
  capos_msgs_t m;
  uint8_t *d = PARAMS(m, CAPOS_VIRTUAL_MEMORY_MAP);
  capos_virtual_memory_map_params_set_hint(d, hint);
  capos_virtual_memory_map_params_set_size(d, size);
  capos_virtual_memory_map_params_set_prot(d, prot);
  capos_status s = simple_call(ring, capos_caps.vm, CAPOS_METHOD_VIRTUAL_MEMORY_MAP, &m, 0);
  if (s >= 0 && addr) *addr = capos_virtual_memory_map_results_get_addr(m.rdata, m.rdw);
  return s;
}
capos_status capos_vm_unmap(uintptr_t ring, uint64_t addr, uint64_t size) {
  capos_msgs_t m;
  uint8_t *d = PARAMS(m, CAPOS_VIRTUAL_MEMORY_UNMAP);
  capos_virtual_memory_unmap_params_set_addr(d, addr);
  capos_virtual_memory_unmap_params_set_size(d, size);
  return simple_call(ring, capos_caps.vm, CAPOS_METHOD_VIRTUAL_MEMORY_UNMAP, &m, 0);
}
capos_status capos_vm_protect(uintptr_t ring, uint64_t addr, uint64_t size, uint32_t prot) {
  capos_msgs_t m;
  uint8_t *d = PARAMS(m, CAPOS_VIRTUAL_MEMORY_PROTECT);
  capos_virtual_memory_protect_params_set_addr(d, addr);
  capos_virtual_memory_protect_params_set_size(d, size);
  capos_virtual_memory_protect_params_set_prot(d, prot);
  return simple_call(ring, capos_caps.vm, CAPOS_METHOD_VIRTUAL_MEMORY_PROTECT, &m, 0);
}
capos_status capos_vm_reserve(uintptr_t ring, uint64_t hint, uint64_t size, uint64_t *addr) {
  capos_msgs_t m;
  uint8_t *d = PARAMS(m, CAPOS_VIRTUAL_MEMORY_RESERVE);
  capos_virtual_memory_reserve_params_set_hint(d, hint);
  capos_virtual_memory_reserve_params_set_size(d, size);
  capos_status s = simple_call(ring, capos_caps.vm, CAPOS_METHOD_VIRTUAL_MEMORY_RESERVE, &m, 0);
  if (s >= 0 && addr) *addr = capos_virtual_memory_reserve_results_get_addr(m.rdata, m.rdw);
  return s;
}
capos_status capos_vm_commit(uintptr_t ring, uint64_t addr, uint64_t size, uint32_t prot) {
  capos_msgs_t m;
  uint8_t *d = PARAMS(m, CAPOS_VIRTUAL_MEMORY_COMMIT);
  capos_virtual_memory_commit_params_set_addr(d, addr);
  capos_virtual_memory_commit_params_set_size(d, size);
  capos_virtual_memory_commit_params_set_prot(d, prot);
  return simple_call(ring, capos_caps.vm, CAPOS_METHOD_VIRTUAL_MEMORY_COMMIT, &m, 0);
}
capos_status capos_vm_decommit(uintptr_t ring, uint64_t addr, uint64_t size) {
  capos_msgs_t m;
  uint8_t *d = PARAMS(m, CAPOS_VIRTUAL_MEMORY_DECOMMIT);
  capos_virtual_memory_decommit_params_set_addr(d, addr);
  capos_virtual_memory_decommit_params_set_size(d, size);
  return simple_call(ring, capos_caps.vm, CAPOS_METHOD_VIRTUAL_MEMORY_DECOMMIT, &m, 0);
}
capos_status capos_set_fs_base(uintptr_t ring, uint64_t base) {
  capos_msgs_t m;
  uint8_t *d = PARAMS(m, CAPOS_THREAD_CONTROL_SET_FS_BASE);
  capos_thread_control_set_fs_base_params_set_base(d, base);
  return simple_call(ring, capos_caps.thread_control, CAPOS_METHOD_THREAD_CONTROL_SET_FS_BASE, &m, 0);
}
capos_status capos_get_fs_base(uintptr_t ring, uint64_t *base) {
  capos_msgs_t m;
  PARAMS(m, CAPOS_THREAD_CONTROL_GET_FS_BASE);
  capos_status s = simple_call(ring, capos_caps.thread_control, CAPOS_METHOD_THREAD_CONTROL_GET_FS_BASE, &m, 0);
  if (s >= 0 && base) *base = capos_thread_control_get_fs_base_results_get_base(m.rdata, m.rdw);
  return s;
}
void capos_thread_exit(uintptr_t ring, uint64_t value) {
  capos_msgs_t m;
  uint8_t *d = PARAMS(m, CAPOS_THREAD_CONTROL_EXIT);
  capos_thread_control_exit_params_set_value(d, value);
  simple_call(ring, capos_caps.thread_control, CAPOS_METHOD_THREAD_CONTROL_EXIT, &m, 0);
  /* never completes; if it does (an ABI violation), end the whole process */
  capos_exit(value | 0x80);
}
capos_status capos_spawn(uintptr_t ring, uint64_t entry, uint64_t stack_top, uint64_t arg, uint64_t fs_base, uint32_t *handle_cap) {
  capos_msgs_t m;
  capos_cqe_t cqe;
  uint8_t *d = PARAMS(m, CAPOS_THREAD_SPAWNER_SPAWN);
  capos_thread_spawner_spawn_params_set_entry(d, entry);
  capos_thread_spawner_spawn_params_set_stack_top(d, stack_top);
  capos_thread_spawner_spawn_params_set_arg(d, arg);
  capos_thread_spawner_spawn_params_set_fs_base(d, fs_base);
  capos_status s = simple_call(ring, capos_caps.spawner, CAPOS_METHOD_THREAD_SPAWNER_SPAWN, &m, &cqe);
  if (s >= 0 && handle_cap) *handle_cap = cqe.cap_id; /* THRX-2: result capability in the CQE */
  return s;
}
capos_status capos_join(uintptr_t ring, uint32_t handle_cap, uint64_t *exit_value) {
  capos_msgs_t m;
  PARAMS(m, CAPOS_THREAD_HANDLE_JOIN);
  capos_status s = simple_call(ring, handle_cap, CAPOS_METHOD_THREAD_HANDLE_JOIN, &m, 0);
  if (s >= 0 && exit_value) *exit_value = capos_thread_handle_join_results_get_exit_value(m.rdata, m.rdw);
  return s;
}
/* A JOIN submitted without waiting (capos_join_prepare fills a free SQE; the caller publishes
 * it and reaps its CQE); capos_join_finish decodes the completion's result. */
void capos_join_prepare(volatile uint8_t *sqe, uint32_t handle_cap, capos_join_req_t *req) {
  uint32_t plen;
  capos_msg_init(req->p, CAPOS_THREAD_HANDLE_JOIN_PARAMS_DATA_WORDS, CAPOS_THREAD_HANDLE_JOIN_PARAMS_PTR_WORDS, &plen);
  capos_sqe_call(sqe, handle_cap, CAPOS_METHOD_THREAD_HANDLE_JOIN, req->p, plen, req->r, sizeof req->r);
}
capos_status capos_join_finish(capos_join_req_t *req, int32_t result, uint64_t *exit_value) {
  capos_status s = capos_call_status(result, req->r, sizeof req->r);
  const uint8_t *d;
  uint32_t dw;
  if (s < 0) return s;
  if (capos_msg_root(req->r, (uint32_t)s, &d, &dw) != 0) return CAPOS_STATUS_BAD_RESULT;
  if (exit_value) *exit_value = capos_thread_handle_join_results_get_exit_value(d, dw);
  return s;
}
/* CAP_OP_RELEASE of `cap`: returns the CQE result (0, or a transport error). */
int32_t capos_release(uintptr_t ring, uint32_t cap) {
  volatile uint8_t *sqe = capos_sqe_next(ring);
  capos_cqe_t cqe;
  if (!sqe) return CAPOS_TERR_INVALID_SQE;
  capos_sqe_set_opcode(sqe, CAPOS_OP_RELEASE);
  capos_sqe_set_cap_id(sqe, cap);
  return capos_rt_op(ring, sqe, &cqe);
}
capos_status capos_timer_now(uintptr_t ring, uint64_t *ns) {
  capos_msgs_t m;
  PARAMS(m, CAPOS_TIMER_NOW);
  capos_status s = simple_call(ring, capos_caps.timer, CAPOS_METHOD_TIMER_NOW, &m, 0);
  if (s >= 0 && ns) *ns = capos_timer_now_results_get_ns(m.rdata, m.rdw);
  return s;
}
capos_status capos_timer_sleep(uintptr_t ring, uint64_t ns) {
  capos_msgs_t m;
  uint8_t *d = PARAMS(m, CAPOS_TIMER_SLEEP);
  capos_timer_sleep_params_set_ns(d, ns);
  return simple_call(ring, capos_caps.timer, CAPOS_METHOD_TIMER_SLEEP, &m, 0);
}
int32_t capos_park(uintptr_t ring, volatile uint32_t *word, uint32_t expected, uint64_t timeout_ns) {
  volatile uint8_t *sqe = capos_sqe_next(ring);
  capos_cqe_t cqe;
  if (!sqe) return CAPOS_TERR_INVALID_SQE;
  capos_sqe_set_opcode(sqe, CAPOS_OP_PARK);
  capos_sqe_set_cap_id(sqe, capos_caps.park);
  capos_sqe_park_set_addr(sqe, (uint64_t)(uintptr_t)word);
  capos_sqe_park_set_expected(sqe, expected);
  capos_sqe_park_set_timeout_ns(sqe, timeout_ns);
  return capos_rt_op(ring, sqe, &cqe);
}
int32_t capos_unpark(uintptr_t ring, volatile uint32_t *word, uint32_t count) {
  volatile uint8_t *sqe = capos_sqe_next(ring);
  capos_cqe_t cqe;
  if (!sqe) return CAPOS_TERR_INVALID_SQE;
  capos_sqe_set_opcode(sqe, CAPOS_OP_UNPARK);
  capos_sqe_set_cap_id(sqe, capos_caps.park);
  capos_sqe_unpark_set_addr(sqe, (uint64_t)(uintptr_t)word);
  capos_sqe_unpark_set_count(sqe, count);
  return capos_rt_op(ring, sqe, &cqe);
}

/* ---- TLS */
uint64_t capos_tp_align(void) {
  uint64_t a = CAPOS_TLS_ALIGN;
  return a > CAPOS_LAYOUT_TP_MIN_ALIGN ? a : CAPOS_LAYOUT_TP_MIN_ALIGN;
}
uint64_t capos_tls_offset(void) {
  /* smallest off >= memsz with (-off) mod align == p_vaddr mod align (TLSV2-2) */
  uint64_t align = CAPOS_TLS_ALIGN ? CAPOS_TLS_ALIGN : 1;
  uint64_t vaddr = (uint64_t)(uintptr_t)__tls_image_start;
  uint64_t memsz = CAPOS_TLS_MEMSZ;
  return memsz + ((0 - (vaddr + memsz)) & (align - 1));
}
uint64_t capos_tls_init(uint8_t *area, uint64_t size) {
  uint64_t lo = (uint64_t)(uintptr_t)area, hi = lo + size;
  if (size < CAPOS_LAYOUT_TCB_SIZE) return 0;
  uint64_t tp = (hi - CAPOS_LAYOUT_TCB_SIZE) & ~(capos_tp_align() - 1);
  uint64_t off = capos_tls_offset();
  if (tp < lo + off) return 0;
  uint8_t *block = (uint8_t *)(uintptr_t)(tp - off);
  memcpy(block, __tls_image_start, CAPOS_TLS_FILESZ);
  memset(block + CAPOS_TLS_FILESZ, 0, off - CAPOS_TLS_FILESZ);
  memset((uint8_t *)(uintptr_t)tp, 0, CAPOS_LAYOUT_TCB_SIZE);
  *(uint64_t *)(uintptr_t)tp = tp; /* TCB self-pointer (TLSV2-1) */
  return tp;
}

capos_status capos_thread_spawn(uintptr_t ring, capos_thread_t *t) {
  return capos_spawn(ring, (uint64_t)(uintptr_t)capos_thread_entry, t->stack_top, (uint64_t)(uintptr_t)t, t->fs_base, &t->handle);
}

/* ---- output */
/* The length is kept in a local and stored once: a store through the char buffer may alias
 * l->n, so the loop on l->n reloaded and stored it for every character. */
void capos_line_str(capos_line_t *l, const char *s) {
  uint32_t n = l->n;
  char *b = l->buf;
  while (*s && n < sizeof l->buf - 1) b[n++] = *s++;
  l->n = n;
}
/* "0x" and the digits written in place (a temporary string copied by capos_line_str cost a
 * copy loop per digit); a line too full for all of them is cut where capos_line_str cuts it. */
void capos_line_hex(capos_line_t *l, uint64_t v) {
  uint32_t digits = 1;
  for (uint64_t t = v >> 4; t; t >>= 4) digits++;
  uint32_t n = l->n;
  if (n + 2 + digits > sizeof l->buf - 1) {
    char tmp[19];
    int i = 18;
    tmp[i] = 0;
    do {
      tmp[--i] = "0123456789abcdef"[v & 15];
      v >>= 4;
    } while (v);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    capos_line_str(l, &tmp[i]);
    return;
  }
  char *b = l->buf + n;
  b[0] = '0';
  b[1] = 'x';
  for (uint32_t i = digits + 1; i >= 2; i--) {
    b[i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  }
  l->n = n + 2 + digits;
}
void capos_line_dec(capos_line_t *l, int64_t v) {
  char tmp[22];
  int i = 21;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  tmp[i] = 0;
  do {
    tmp[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) tmp[--i] = '-';
  capos_line_str(l, &tmp[i]);
}
void capos_line_kv(capos_line_t *l, const char *key, uint64_t v) {
  capos_line_str(l, " ");
  capos_line_str(l, key);
  capos_line_str(l, "=");
  capos_line_hex(l, v);
}
capos_status capos_line_flush(uintptr_t ring, capos_line_t *l) {
  l->buf[l->n++] = '\n';
  capos_status s = capos_console_write(ring, l->buf, l->n);
  l->n = 0;
  return s;
}
capos_status capos_puts(uintptr_t ring, const char *s) {
  return capos_console_write(ring, s, (uint32_t)capos_strlen(s));
}
