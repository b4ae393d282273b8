/*
 * The capOS kernel side of the runner: capabilities, rings, cap_enter, PARK/UNPARK,
 * VirtualMemory, threads and the timer. One lock (k_lock) guards all of it; every guest
 * thread is a real Linux thread that enters here from its SIGSYS handler.
 *
 * Blocking: a thread waits on its own futex word; wakers clear `blocked` under the lock and
 * FUTEX_WAKE it. When every live thread is blocked, the earliest deadline is brought forward
 * by advancing the virtual clock (Timer.now is "monotonic virtual time", TIMERX-1); with no
 * deadline at all the process is deadlocked and ends as a hang.
 */
#include "native.h"
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

pthread_mutex_t k_lock = PTHREAD_MUTEX_INITIALIZER;
uint64_t k_last_fs;

/* ---- virtual clock ---- */
static uint64_t clock_t0, clock_skip;
static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
uint64_t vnow(void) { return mono_ns() - clock_t0 + clock_skip; }
static uint64_t sat_add(uint64_t a, uint64_t b) { return a + b < a ? NO_DEADLINE : a + b; }

/* ---- capabilities (CAP-1..4, RINGX-7) ---- */
enum cap_kind { CK_NONE, CK_CONSOLE, CK_VM, CK_PARK, CK_SPAWNER, CK_TCONTROL, CK_TIMER, CK_THANDLE, CK_COUNT };
/* Methods each interface defines (RINGX-6: any other ordinal is unimplemented). */
static const uint16_t KIND_METHODS[CK_COUNT] = {0, 2, 6, 0, 1, 3, 2, 1};
#define MAX_CAPS 1024
static struct cap {
  uint16_t gen;
  uint8_t kind;
  struct thread *target;
} caps[MAX_CAPS];

static struct cap *cap_lookup(uint32_t id) {
  uint32_t slot = id & CAPOS_CAPID_INDEX_MASK, gen = id >> CAPOS_CAPID_GENERATION_SHIFT;
  if (slot >= MAX_CAPS || caps[slot].kind == CK_NONE || caps[slot].gen != gen) return NULL;
  return &caps[slot];
}

static uint32_t cap_id(const struct cap *c) {
  return ((uint32_t)c->gen << CAPOS_CAPID_GENERATION_SHIFT) | (uint32_t)(c - caps);
}

static struct cap *cap_new(uint8_t kind, struct thread *target) {
  for (int i = 0; i < MAX_CAPS; i++)
    if (caps[i].kind == CK_NONE) {
      caps[i].kind = kind;
      caps[i].target = target;
      return &caps[i];
    }
  return NULL;
}

static void cap_release(struct cap *c) {
  if (c->kind == CK_THANDLE && c->target) c->target->handle_live = 0; /* detach (THR-3) */
  c->kind = CK_NONE;
  c->target = NULL;
  c->gen = (uint16_t)(c->gen + 1) ? (uint16_t)(c->gen + 1) : CAPOS_CAPID_FIRST_GENERATION;
}

/* ---- threads ---- */
static struct thread *threads; /* live threads */
static int nlive, nblocked, next_tid = 1;
static uint8_t ring_slot_used[CAPOS_LAYOUT_MAX_THREADS];

static void futex_wake(volatile uint32_t *w) { syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }

static void wake(struct thread *t) {
  if (!t->blocked) return;
  t->blocked = 0;
  nblocked--;
  __atomic_store_n(&t->wake, 1, __ATOMIC_SEQ_CST);
  futex_wake(&t->wake);
}

/* Called whenever every live thread may be blocked: skip virtual time to the earliest
 * deadline, or end the process as a hang if there is none. */
static void idle_check(void) {
  if (nlive == 0 || nblocked < nlive) return;
  uint64_t earliest = NO_DEADLINE;
  for (struct thread *t = threads; t; t = t->next_all)
    if (t->blocked && t->deadline < earliest) earliest = t->deadline;
  if (earliest == NO_DEADLINE) {
    out_detail("hang: all %d live threads are blocked with no deadline", nlive);
    process_end(ST_HANG);
  }
  uint64_t now = vnow();
  if (earliest > now) clock_skip += earliest - now;
  now = vnow();
  for (struct thread *t = threads; t; t = t->next_all)
    if (t->blocked && t->deadline <= now) wake(t);
}

/* Block the calling thread (lock held) until woken or the deadline passes. */
static void block(struct thread *t, uint64_t deadline) {
  __atomic_store_n(&t->wake, 0, __ATOMIC_SEQ_CST);
  t->blocked = 1;
  t->deadline = deadline;
  nblocked++;
  idle_check();
  if (!t->blocked) return;
  pthread_mutex_unlock(&k_lock);
  struct timespec ts, *tsp = NULL;
  if (deadline != NO_DEADLINE) {
    uint64_t now = vnow(), rel = deadline > now ? deadline - now : 0;
    ts.tv_sec = (time_t)(rel / 1000000000ull);
    ts.tv_nsec = (long)(rel % 1000000000ull);
    tsp = &ts;
  }
  syscall(SYS_futex, &t->wake, FUTEX_WAIT_PRIVATE, 0, tsp, NULL, 0);
  pthread_mutex_lock(&k_lock);
  if (t->blocked) {
    t->blocked = 0;
    nblocked--;
  }
}

/* ---- completions (RING-6, RING-7, RINGX-2) ---- */
static uint8_t *ring_of(struct thread *t) { return (uint8_t *)t->ring; }

static int cq_full(uint8_t *r) {
  uint32_t tail = capos_ring_hdr_get_cq_tail(r), head = __atomic_load_n((uint32_t *)(r + CAPOS_RING_HDR_CQ_HEAD), __ATOMIC_ACQUIRE);
  return (uint32_t)(tail - head) >= CAPOS_RING_CQ_ENTRIES;
}

static void write_cqe(uint8_t *r, const struct completion *c) {
  uint32_t tail = capos_ring_hdr_get_cq_tail(r);
  uint8_t *e = r + CAPOS_RING_CQ_OFFSET + (tail % CAPOS_RING_CQ_ENTRIES) * CAPOS_CQE_SIZE;
  memset(e, 0, CAPOS_CQE_SIZE);
  capos_cqe_set_user_data(e, c->user_data);
  *(int32_t *)(e + CAPOS_CQE_RESULT) = c->result;
  capos_cqe_set_cap_id(e, c->cap_id);
  capos_cqe_set_interface_id(e, c->iid);
  __atomic_store_n((uint32_t *)(r + CAPOS_RING_HDR_CQ_TAIL), tail + 1, __ATOMIC_RELEASE);
}

static void flush_held(struct thread *t) {
  uint8_t *r = ring_of(t);
  while (t->held && !cq_full(r)) {
    struct completion *c = t->held;
    t->held = c->next;
    if (!t->held) t->held_tail = &t->held;
    write_cqe(r, c);
    free(c);
  }
}

static void post_cap(struct thread *t, uint64_t ud, int32_t result, uint32_t cap, uint64_t iid) {
  struct completion c = {ud, result, cap, iid, NULL};
  uint8_t *r = ring_of(t);
  flush_held(t);
  if (t->held || cq_full(r)) {
    struct completion *h = malloc(sizeof *h);
    if (!h) process_end(ST_BUDGET);
    *h = c;
    *t->held_tail = h;
    t->held_tail = &h->next;
    capos_ring_hdr_set_cq_overflow(r, capos_ring_hdr_get_cq_overflow(r) + 1);
  } else {
    write_cqe(r, &c);
  }
  wake(t);
}
static void post(struct thread *t, uint64_t ud, int32_t result) { post_cap(t, ud, result, 0, 0); }

/* ---- CALL results ---- */
struct call {
  struct thread *t;
  uint64_t ud, raddr;
  uint32_t rlen;
};

static void reply(const struct call *c, const uint64_t *words, uint32_t dw, uint32_t cap, uint64_t iid) {
  uint8_t buf[64];
  uint32_t n = capnp_encode_data(buf, sizeof buf, words, dw);
  if (n > c->rlen) return post(c->t, c->ud, CAPOS_TERR_RESULT_TOO_SMALL);
  if (!mem_ok(c->raddr, n, ACC_WRITE)) return post(c->t, c->ud, CAPOS_TERR_INVALID_BUFFER); /* unmapped meanwhile */
  memcpy((void *)c->raddr, buf, n);
  post_cap(c->t, c->ud, (int32_t)n, cap, iid);
}

static void raise_exc(const struct call *c, uint16_t type, const char *msg) {
  uint8_t buf[256];
  uint32_t n = capnp_encode_exception(buf, sizeof buf, type, msg);
  if (n > c->rlen) return post(c->t, c->ud, CAPOS_TERR_APPLICATION_EXCEPTION_TRUNCATED);
  memcpy((void *)c->raddr, buf, n);
  post(c->t, c->ud, CAPOS_TERR_APPLICATION_EXCEPTION);
}

static uint32_t result_size(uint32_t dw) { return 8 + 8 * (1 + dw); }

/* ---- park (PARK-*, PARKX-*) ---- */
struct waiter {
  struct thread *t;
  uint64_t addr, gen, ud, deadline;
  struct waiter *next;
};
static struct waiter *waiters; /* FIFO: UNPARK wakes the oldest first */
static uint64_t unparks_with_waiters;

static void waiter_append(struct waiter *w) {
  struct waiter **p = &waiters;
  while (*p) p = &(*p)->next;
  *p = w;
}

static void do_park(struct thread *t, uint64_t ud, uint64_t addr, uint32_t expected, uint64_t timeout) {
  uint32_t v = __atomic_load_n((volatile uint32_t *)addr, __ATOMIC_SEQ_CST);
  if (v != expected) return post(t, ud, CAPOS_PARK_MISMATCH);
  if (timeout == 0) return post(t, ud, CAPOS_PARK_TIMED_OUT); /* PARKX-3: poll */
  struct waiter *w = calloc(1, sizeof *w);
  if (!w) process_end(ST_BUDGET);
  *w = (struct waiter){t, addr, mem_generation(addr), ud, timeout == CAPOS_PARK_TIMEOUT_FOREVER ? NO_DEADLINE : sat_add(vnow(), timeout), NULL};
  waiter_append(w);
}

static void do_unpark(struct thread *t, uint64_t ud, uint64_t addr, uint32_t count) {
  uint64_t gen = mem_generation(addr);
  uint32_t n = 0;
  int lose = 0;
  if (count > 0 && g_mutant == MUT_LOST_WAKE) {
    for (struct waiter *w = waiters; w; w = w->next)
      if (w->addr == addr && w->gen == gen) {
        lose = (unparks_with_waiters++ % 2) == 0; /* every other UNPARK that finds a waiter */
        break;
      }
  }
  for (struct waiter **p = &waiters; *p && n < count;) {
    struct waiter *w = *p;
    if (w->addr != addr || w->gen != gen) {
      p = &w->next;
      continue;
    }
    n++;
    if (lose) { /* seeded bug: counted as woken, left parked */
      lose = 0;
      p = &w->next;
      continue;
    }
    *p = w->next;
    post(w->t, w->ud, CAPOS_PARK_WOKEN);
    free(w);
  }
  post(t, ud, (int32_t)n);
}

void park_drain(uint64_t start, uint64_t end) {
  if (g_mutant == MUT_NO_DRAIN) return;
  for (struct waiter **p = &waiters; *p;) {
    struct waiter *w = *p;
    if (w->addr >= start && w->addr < end) {
      *p = w->next;
      post(w->t, w->ud, CAPOS_PARK_DRAINED);
      free(w);
    } else {
      p = &w->next;
    }
  }
}

/* ---- timers and joins ---- */
struct pending {
  struct thread *t;        /* owner: whose ring gets the CQE */
  struct call call;
  uint64_t deadline;       /* sleeps */
  struct thread *target;   /* joins */
  struct pending *next;
};
static struct pending *sleeps, *joins;

static struct pending *pending_new(const struct call *c) {
  struct pending *p = calloc(1, sizeof *p);
  if (!p) process_end(ST_BUDGET);
  p->t = c->t;
  p->call = *c;
  return p;
}

/* Post every expired park timeout and sleep of t (PARKX-4, TIMERX-1). */
static void fire_timers(struct thread *t) {
  uint64_t now = vnow();
  for (struct waiter **p = &waiters; *p;) {
    struct waiter *w = *p;
    if (w->t == t && w->deadline <= now) {
      *p = w->next;
      post(t, w->ud, CAPOS_PARK_TIMED_OUT);
      free(w);
    } else {
      p = &w->next;
    }
  }
  for (struct pending **p = &sleeps; *p;) {
    struct pending *s = *p;
    if (s->t == t && s->deadline <= now) {
      *p = s->next;
      reply(&s->call, NULL, 0, 0, 0);
      free(s);
    } else {
      p = &s->next;
    }
  }
}

static uint64_t next_deadline(struct thread *t) {
  uint64_t d = NO_DEADLINE;
  for (struct waiter *w = waiters; w; w = w->next)
    if (w->t == t && w->deadline < d) d = w->deadline;
  for (struct pending *s = sleeps; s; s = s->next)
    if (s->t == t && s->deadline < d) d = s->deadline;
  return d;
}

/* ---- thread lifecycle ---- */
static int canonical(uint64_t v) { return (uint64_t)((int64_t)(v << 16) >> 16) == v; }

static void thread_link(struct thread *t) {
  t->next_all = threads;
  threads = t;
  nlive++;
}

static void thread_unlink(struct thread *t) {
  for (struct thread **p = &threads; *p; p = &(*p)->next_all)
    if (*p == t) {
      *p = t->next_all;
      break;
    }
  nlive--;
}

__attribute__((noreturn)) static void thread_exit(struct thread *t, uint64_t value) {
  t->exited = 1;
  t->exit_value = value;
  for (struct waiter **p = &waiters; *p;) { /* PARKX-9: no waiter outlives its thread */
    struct waiter *w = *p;
    if (w->t == t) { *p = w->next; free(w); } else p = &w->next;
  }
  for (struct pending **p = &sleeps; *p;) {
    struct pending *s = *p;
    if (s->t == t) { *p = s->next; free(s); } else p = &s->next;
  }
  for (struct pending **p = &joins; *p;) {
    struct pending *j = *p;
    if (j->t == t) {
      *p = j->next;
      free(j);
    } else if (j->target == t) {
      *p = j->next;
      uint64_t v = value;
      reply(&j->call, &v, 1, 0, 0);
      free(j);
    } else {
      p = &j->next;
    }
  }
  while (t->held) {
    struct completion *c = t->held;
    t->held = c->next;
    free(c);
  }
  if (t->ring_slot >= 0) {
    mem_remove_fixed(t->ring, t->ring + PAGE);
    munmap((void *)t->ring, PAGE);
    ring_slot_used[t->ring_slot] = 0;
  }
  thread_unlink(t);
  if (nlive == 0) process_end(0); /* THRX-3 */
  idle_check();
  pthread_mutex_unlock(&k_lock);
  t->selector = 0;
  siglongjmp(t->exit_jmp, 1);
}

static void do_spawn(const struct call *c, const struct capnp_struct *p) {
  uint64_t entry = capnp_u64(p, CAPOS_THREAD_SPAWNER_SPAWN_PARAMS_ENTRY);
  uint64_t stack_top = capnp_u64(p, CAPOS_THREAD_SPAWNER_SPAWN_PARAMS_STACK_TOP);
  uint64_t arg = capnp_u64(p, CAPOS_THREAD_SPAWNER_SPAWN_PARAMS_ARG);
  uint64_t fs = capnp_u64(p, CAPOS_THREAD_SPAWNER_SPAWN_PARAMS_FS_BASE);
  if (!canonical(fs) || !canonical(entry) || !canonical(stack_top)) return raise_exc(c, CAPOS_EXC_INVALID_ARGUMENT, "non-canonical address");
  if (nlive >= CAPOS_LAYOUT_MAX_THREADS) return raise_exc(c, CAPOS_EXC_OVERLOADED, "too many threads");
  int slot = -1;
  for (int i = 0; i < CAPOS_LAYOUT_MAX_THREADS && slot < 0; i++)
    if (!ring_slot_used[i]) slot = i;
  if (slot < 0) return raise_exc(c, CAPOS_EXC_OVERLOADED, "no ring slot");
  uint64_t ring = CAPOS_LAYOUT_THREAD_RING_BASE + (uint64_t)slot * PAGE;
  struct thread *t = thread_alloc();
  if (!t) return raise_exc(c, CAPOS_EXC_OVERLOADED, "out of memory");
  struct cap *h = cap_new(CK_THANDLE, t);
  if (!h) return raise_exc(c, CAPOS_EXC_OVERLOADED, "capability table full");
  if (ring_map(ring) != 0) {
    cap_release(h);
    return raise_exc(c, CAPOS_EXC_OVERLOADED, "ring address in use");
  }
  ring_slot_used[slot] = 1;
  t->id = next_tid++;
  t->fs = fs;
  t->ring = ring;
  t->ring_slot = slot;
  t->entry = entry;
  t->stack_top = stack_top;
  t->arg0 = ring; /* FSB-2: ring in the entry ring register, arg in the thread-arg one */
  t->arg1 = arg;
  t->arg2 = 0;
  t->handle_live = 1;
  thread_link(t);
  uint64_t handle_index = 0;
  reply(c, &handle_index, CAPOS_THREAD_SPAWNER_SPAWN_RESULTS_DATA_WORDS, cap_id(h), CAPOS_IID_THREAD_HANDLE);
  if (thread_start(t) != 0) process_end(ST_BUDGET);
}

/* ---- CALL dispatch (RINGX-5, RINGX-6, RINGX-9) ---- */
static uint32_t result_words(uint8_t kind, uint16_t method) {
  switch (kind) {
    case CK_VM: return (method == CAPOS_METHOD_VIRTUAL_MEMORY_MAP || method == CAPOS_METHOD_VIRTUAL_MEMORY_RESERVE) ? 1 : 0;
    case CK_SPAWNER: return CAPOS_THREAD_SPAWNER_SPAWN_RESULTS_DATA_WORDS;
    case CK_THANDLE: return CAPOS_THREAD_HANDLE_JOIN_RESULTS_DATA_WORDS;
    case CK_TCONTROL: return method == CAPOS_METHOD_THREAD_CONTROL_GET_FS_BASE ? 1 : 0;
    case CK_TIMER: return method == CAPOS_METHOD_TIMER_NOW ? 1 : 0;
    default: return 0;
  }
}

static void vm_reply(const struct call *c, int exc, const uint64_t *addr) {
  static const char *const MSG[] = {[CAPOS_EXC_INVALID_ARGUMENT] = "invalid argument", [CAPOS_EXC_OVERLOADED] = "quota or address space exhausted",
                                    [CAPOS_EXC_FAILED] = "host mapping failed"};
  if (exc) return raise_exc(c, (uint16_t)exc, exc < 5 && MSG[exc] ? MSG[exc] : "failed");
  reply(c, addr, addr ? 1 : 0, 0, 0);
}

static void console_write(const uint8_t *p, uint64_t n, int line) {
  out_console(p, n);
  if (line) out_console("\n", 1);
}

static void do_call(struct thread *t, struct cap *cap, const uint8_t *sqe) {
  uint64_t addr = capos_sqe_call_get_addr(sqe), raddr = capos_sqe_call_get_result_addr(sqe);
  uint32_t len = capos_sqe_call_get_len(sqe), rlen = capos_sqe_call_get_result_len(sqe);
  uint16_t method = capos_sqe_call_get_method_id(sqe);
  struct call c = {t, capos_sqe_get_user_data(sqe), raddr, rlen};
  if (!mem_ok(addr, len, ACC_READ) || !mem_ok(raddr, rlen, ACC_WRITE)) return post(t, c.ud, CAPOS_TERR_INVALID_BUFFER);
  if (method >= KIND_METHODS[cap->kind]) return raise_exc(&c, CAPOS_EXC_UNIMPLEMENTED, "unknown method ordinal");
  /* Copy the params out of guest memory: another thread may rewrite them meanwhile. */
  uint8_t small[512], *buf = len <= sizeof small ? small : malloc(len);
  if (!buf) return post(t, c.ud, CAPOS_TERR_BAD_MESSAGE);
  memcpy(buf, (const void *)addr, len);
  struct capnp_struct p;
  if (capnp_read_root(buf, len, &p) != 0) {
    if (buf != small) free(buf);
    return post(t, c.ud, CAPOS_TERR_BAD_MESSAGE);
  }
  if (rlen < result_size(result_words(cap->kind, method)) && !(cap->kind == CK_TCONTROL && method == CAPOS_METHOD_THREAD_CONTROL_EXIT)) {
    if (buf != small) free(buf);
    return post(t, c.ud, CAPOS_TERR_RESULT_TOO_SMALL);
  }
  uint64_t out = 0;
  const uint8_t *bytes;
  uint64_t n;
  switch (cap->kind) {
    case CK_CONSOLE:
      if (capnp_bytes(&p, 0, &bytes, &n) != 0) {
        post(t, c.ud, CAPOS_TERR_BAD_MESSAGE);
        break;
      }
      if (method == CAPOS_METHOD_CONSOLE_WRITE_LINE && n > 0 && bytes[n - 1] == 0) n--;
      console_write(bytes, n, method == CAPOS_METHOD_CONSOLE_WRITE_LINE);
      reply(&c, NULL, 0, 0, 0);
      break;
    case CK_VM: {
      uint64_t a = capnp_u64(&p, 0), s = capnp_u64(&p, 8);
      uint32_t prot = capnp_u32(&p, 16);
      switch (method) {
        case CAPOS_METHOD_VIRTUAL_MEMORY_MAP: { int e = vm_map(a, s, prot, 1, &out); vm_reply(&c, e, e ? NULL : &out); break; }
        case CAPOS_METHOD_VIRTUAL_MEMORY_RESERVE: { int e = vm_map(a, s, 0, 0, &out); vm_reply(&c, e, e ? NULL : &out); break; }
        case CAPOS_METHOD_VIRTUAL_MEMORY_UNMAP: vm_reply(&c, vm_unmap(a, s), NULL); break;
        case CAPOS_METHOD_VIRTUAL_MEMORY_PROTECT: vm_reply(&c, vm_protect(a, s, prot), NULL); break;
        case CAPOS_METHOD_VIRTUAL_MEMORY_COMMIT: vm_reply(&c, vm_commit(a, s, prot), NULL); break;
        case CAPOS_METHOD_VIRTUAL_MEMORY_DECOMMIT: vm_reply(&c, vm_decommit(a, s), NULL); break;
      }
      break;
    }
    case CK_SPAWNER: do_spawn(&c, &p); break;
    case CK_THANDLE: {
      struct thread *target = cap->target;
      if (target->exited) {
        out = target->exit_value;
        reply(&c, &out, 1, 0, 0);
      } else {
        struct pending *j = pending_new(&c);
        j->target = target;
        j->next = joins;
        joins = j;
      }
      break;
    }
    case CK_TCONTROL:
      if (method == CAPOS_METHOD_THREAD_CONTROL_SET_FS_BASE) {
        uint64_t base = capnp_u64(&p, CAPOS_THREAD_CONTROL_SET_FS_BASE_PARAMS_BASE);
        if (!canonical(base)) {
          raise_exc(&c, CAPOS_EXC_INVALID_ARGUMENT, "non-canonical FS base"); /* FSB-3 */
          break;
        }
        t->fs = base;
        k_last_fs = base;
        reply(&c, NULL, 0, 0, 0);
      } else if (method == CAPOS_METHOD_THREAD_CONTROL_GET_FS_BASE) {
        out = t->fs;
        reply(&c, &out, 1, 0, 0);
      } else {
        uint64_t v = capnp_u64(&p, CAPOS_THREAD_CONTROL_EXIT_PARAMS_VALUE);
        if (buf != small) free(buf);
        thread_exit(t, v);
      }
      break;
    case CK_TIMER:
      if (method == CAPOS_METHOD_TIMER_NOW) {
        out = vnow();
        reply(&c, &out, 1, 0, 0);
      } else {
        uint64_t ns = capnp_u64(&p, CAPOS_TIMER_SLEEP_PARAMS_NS);
        if (ns == 0) {
          reply(&c, NULL, 0, 0, 0);
        } else {
          struct pending *s = pending_new(&c);
          s->deadline = sat_add(vnow(), ns);
          s->next = sleeps;
          sleeps = s;
        }
      }
      break;
    default: /* ParkSpace has no methods: caught by the ordinal check */
      break;
  }
  if (buf != small) free(buf);
}

/* One SQE, checked in the order of RINGX-9. */
static void execute(struct thread *t, const uint8_t *sqe) {
  uint8_t op = capos_sqe_get_opcode(sqe);
  uint64_t ud = capos_sqe_get_user_data(sqe);
  if (op > CAPOS_OP_UNPARK) return post(t, ud, CAPOS_TERR_INVALID_OPCODE);
  uint16_t reserved0;
  memcpy(&reserved0, sqe + CAPOS_SQE_RESERVED0, 2);
  if (capos_sqe_get_flags(sqe) || reserved0) return post(t, ud, CAPOS_TERR_INVALID_SQE);
  if (op == CAPOS_OP_CALL && (capos_sqe_call_get_xfer_cap_count(sqe) || capos_sqe_call_get_pipeline_dep(sqe) || capos_sqe_call_get_pipeline_field(sqe)))
    return post(t, ud, CAPOS_TERR_INVALID_SQE);
  if (op == CAPOS_OP_NOP) return post(t, ud, 0);
  struct cap *cap = cap_lookup(capos_sqe_get_cap_id(sqe));
  if (!cap) return post(t, ud, CAPOS_TERR_INVALID_CAP);
  switch (op) {
    case CAPOS_OP_RELEASE:
      cap_release(cap);
      return post(t, ud, 0);
    case CAPOS_OP_RECV:
    case CAPOS_OP_RETURN:
      return post(t, ud, CAPOS_TERR_WRONG_INTERFACE);
    case CAPOS_OP_PARK:
    case CAPOS_OP_UNPARK: {
      if (cap->kind != CK_PARK) return post(t, ud, CAPOS_TERR_WRONG_INTERFACE);
      uint64_t addr = capos_sqe_park_get_addr(sqe);
      if (addr % CAPOS_PARK_WORD_ALIGN) return post(t, ud, CAPOS_TERR_INVALID_SQE);
      if (!mem_ok(addr, CAPOS_PARK_WORD_SIZE, ACC_READ)) return post(t, ud, CAPOS_TERR_INVALID_BUFFER);
      if (op == CAPOS_OP_PARK) return do_park(t, ud, addr, capos_sqe_park_get_expected(sqe), capos_sqe_park_get_timeout_ns(sqe));
      return do_unpark(t, ud, addr, capos_sqe_unpark_get_count(sqe));
    }
    default:
      return do_call(t, cap, sqe);
  }
}

/* Consume sq_head..sq_tail in order while the CQ has room (RING-5, RINGX-1..3). */
static void consume(struct thread *t) {
  uint8_t *r = ring_of(t);
  uint32_t head = capos_ring_hdr_get_sq_head(r);
  uint32_t tail = __atomic_load_n((uint32_t *)(r + CAPOS_RING_HDR_SQ_TAIL), __ATOMIC_ACQUIRE);
  if ((uint32_t)(tail - head) > CAPOS_RING_SQ_ENTRIES) {
    capos_ring_hdr_set_sq_head(r, tail);
    post(t, 0, CAPOS_TERR_RING_CORRUPT);
    return;
  }
  while (head != tail) {
    flush_held(t);
    if (t->held || cq_full(r)) break;
    uint8_t sqe[CAPOS_SQE_SIZE];
    memcpy(sqe, r + CAPOS_RING_SQ_OFFSET + (head % CAPOS_RING_SQ_ENTRIES) * CAPOS_SQE_SIZE, CAPOS_SQE_SIZE);
    head++;
    __atomic_store_n((uint32_t *)(r + CAPOS_RING_HDR_SQ_HEAD), head, __ATOMIC_RELEASE);
    execute(t, sqe);
  }
}

/* cap_enter(min_complete, timeout_ns) (ENTER-1..4, ENTERX-1). */
static uint64_t cap_enter(struct thread *t, uint64_t min, uint64_t timeout) {
  if (min > CAPOS_RING_CQ_ENTRIES) return (uint64_t)(int64_t)CAPOS_ERR_INVALID;
  pthread_mutex_lock(&k_lock);
  uint64_t deadline = timeout == CAPOS_CAP_ENTER_WAIT_FOREVER ? NO_DEADLINE : sat_add(vnow(), timeout);
  consume(t);
  uint8_t *r = ring_of(t);
  uint32_t avail;
  for (;;) {
    fire_timers(t);
    flush_held(t);
    avail = capos_ring_hdr_get_cq_tail(r) - __atomic_load_n((uint32_t *)(r + CAPOS_RING_HDR_CQ_HEAD), __ATOMIC_ACQUIRE);
    if (avail >= min || vnow() >= deadline) break;
    uint64_t d = next_deadline(t);
    block(t, d < deadline ? d : deadline);
  }
  pthread_mutex_unlock(&k_lock);
  return avail;
}

uint64_t kernel_syscall(struct thread *t, uint64_t nr, uint64_t a0, uint64_t a1) {
  if (nr == CAPOS_SYS_EXIT) {
    pthread_mutex_lock(&k_lock);
    process_end((int)(a0 & 0xff));
  }
  if (nr == CAPOS_SYS_CAP_ENTER) return cap_enter(t, a0, a1);
  return (uint64_t)(int64_t)CAPOS_ERR_NO_SYS; /* SYSX-1 */
}

struct thread *thread_alloc(void) {
  uint8_t *m = mmap(NULL, 2 * (size_t)ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return NULL;
  uintptr_t base = ((uintptr_t)m + ALT_SIZE - 1) & ~(uintptr_t)(ALT_SIZE - 1);
  struct thread *t = (struct thread *)base;
  memset(t, 0, sizeof *t);
  t->held_tail = &t->held;
  t->ring_slot = -1;
  return t;
}

struct thread *kernel_init(uint64_t tp, uint64_t entry) {
  clock_t0 = mono_ns();
  static const uint8_t GRANT_KIND[CAPOS_GRANT_COUNT] = {
    [CAPOS_GRANT_SLOT_CONSOLE] = CK_CONSOLE, [CAPOS_GRANT_SLOT_VIRTUAL_MEMORY] = CK_VM,
    [CAPOS_GRANT_SLOT_PARK_SPACE] = CK_PARK, [CAPOS_GRANT_SLOT_THREAD_SPAWNER] = CK_SPAWNER,
    [CAPOS_GRANT_SLOT_THREAD_CONTROL] = CK_TCONTROL, [CAPOS_GRANT_SLOT_TIMER] = CK_TIMER};
  for (int i = 0; i < MAX_CAPS; i++) caps[i].gen = CAPOS_CAPID_FIRST_GENERATION;
  for (int i = 0; i < CAPOS_GRANT_COUNT; i++) caps[i].kind = GRANT_KIND[i];
  struct thread *t = thread_alloc();
  if (!t) process_end(ST_BUDGET);
  t->id = 0;
  t->fs = tp;
  k_last_fs = tp;
  t->ring = CAPOS_LAYOUT_RING_VADDR;
  t->entry = entry;
  t->stack_top = CAPOS_LAYOUT_USER_STACK_BASE + CAPOS_LAYOUT_USER_STACK_SIZE;
  t->arg0 = CAPOS_LAYOUT_RING_VADDR;
  t->arg1 = 1; /* pid */
  t->arg2 = CAPOS_LAYOUT_CAP_SET_VADDR;
  t->handle_live = 0;
  pthread_mutex_lock(&k_lock);
  thread_link(t);
  pthread_mutex_unlock(&k_lock);
  return t;
}
