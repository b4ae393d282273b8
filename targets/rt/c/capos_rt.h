/*
 * Minimal capOS C runtime for capos-conform target programs.
 *
 * Every ABI number (syscalls, ring offsets, opcodes, interface ids, method ordinals,
 * Cap'n Proto layouts) comes from capos_abi.h, which targets/gen-abi.ts generates from
 * spec/binding.ts. This file and capos_rt.c contain no ABI numbers of their own.
 *
 * Conventions
 *  - A "ring" is the address of the calling thread's ring page (RDI at entry; each thread
 *    has its own, THRX-1). Every call takes it explicitly, so the runtime needs no TLS.
 *  - One operation is in flight per ring at a time: capos_rt_op submits one SQE, enters
 *    the kernel until its CQE arrives and returns it.
 *  - Method calls return a capos_status: >= 0 success; -1..-127 the CQE transport error;
 *    CAPOS_STATUS_EXC_BASE - type for an application exception (CapException.type).
 *  - The initial thread's TLS and FS base are set up by the kernel (PROCX-1, TLSV2-7/8);
 *    _start does not touch them. capos_tls_init builds a block for a new thread.
 */
#ifndef CAPOS_RT_H
#define CAPOS_RT_H
#include "capos_abi.h"

typedef int64_t capos_status;
#define CAPOS_STATUS_EXC_BASE (-1000)
#define CAPOS_STATUS_BAD_RESULT (-900)  /* result message could not be decoded */
#define CAPOS_STATUS_NO_CAP (-901)      /* no CapSet entry for the interface */

#define CAPOS_BARRIER() __asm__ volatile("" ::: "memory")

typedef struct {
  uint64_t user_data;
  int32_t result;
  uint32_t flags;
  uint32_t cap_id;
  uint64_t interface_id;
} capos_cqe_t;

/* Process-wide capabilities, looked up in the CapSet by interface id before main. */
typedef struct {
  uint32_t console, vm, park, spawner, thread_control, timer;
  uint32_t found; /* bit i set when the i-th of the above was found */
} capos_caps_t;
extern capos_caps_t capos_caps;
extern uintptr_t capos_capset_addr;
extern uintptr_t capos_main_ring;
extern uint64_t capos_pid;

/* Program entry: called by _start with the kernel's entry registers; its return value is
 * the exit status. */
int64_t capos_main(uintptr_t ring, uint64_t pid, uintptr_t capset);

/* Exit status of a probe from its bit mask of failed checks. Process exit codes must stay
 * below 128 (spec/run-protocol.ts: command adapters see only code & 0xff, >= 128 reads as a
 * fault), so bits 0..5 are kept exactly and bit 6 means "some check >= 6 failed"; the full
 * mask is always printed over Console. 0 = every check passed. */
static inline uint64_t capos_probe_status(uint64_t mask) { return (mask & 0x3f) | ((mask >> 6) ? 0x40 : 0); }

/* libc-free helpers (also provided as memcpy/memset/memcmp for compiler-emitted calls). */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t capos_strlen(const char *s);

/* CapSet */
int capos_capset_lookup(uintptr_t capset, uint64_t interface_id, uint32_t *cap_id);
uint32_t capos_capset_count(uintptr_t capset);

/* Ring */
volatile uint8_t *capos_sqe_next(uintptr_t ring);   /* zeroed SQE at sq_tail, or NULL if full */
void capos_sq_publish(uintptr_t ring);               /* sq_tail += 1 (after a barrier) */
int capos_cq_pop(uintptr_t ring, capos_cqe_t *out);  /* 1 if a CQE was consumed */
/* Publish the SQE obtained from capos_sqe_next (its user_data is set here) and wait for
 * its completion. Returns the CQE result. */
int32_t capos_rt_op(uintptr_t ring, volatile uint8_t *sqe, capos_cqe_t *cqe);
static inline int64_t capos_yield(void) { return capos_cap_enter(0, 0); }

/* Cap'n Proto: framed, unpacked, single segment. Returns the data section of the root
 * struct; *len_out gets the message length in bytes. buf must be 8-byte aligned and
 * hold 16 + 8 * (dw + pw) bytes. */
uint8_t *capos_msg_init(uint64_t *buf, uint32_t dw, uint32_t pw, uint32_t *len_out);
/* Append a byte list (Data) for pointer `index` of a struct built by capos_msg_init. */
uint32_t capos_msg_set_data(uint64_t *buf, uint32_t dw, uint32_t pw, uint32_t index, const void *bytes, uint32_t n);
/* Find the root struct of a result message. Returns 0 on success. */
int capos_msg_root(const void *buf, uint32_t len, const uint8_t **data, uint32_t *dw);

/* A CALL: params message in, result message out (result buffer must be 8-aligned). */
capos_status capos_call(uintptr_t ring, uint32_t cap, uint16_t method, const void *params, uint32_t params_len,
                        void *result, uint32_t result_len, capos_cqe_t *cqe);

/* The pieces of capos_call, for callers that batch SQEs: fill a CALL SQE; turn its CQE result
 * into a capos_status (decoding the CapException of an applicationException). */
void capos_sqe_call(volatile uint8_t *sqe, uint32_t cap, uint16_t method, const void *params, uint32_t params_len,
                    void *result, uint32_t result_len);
capos_status capos_call_status(int32_t r, const void *result, uint32_t result_len);

/* Interfaces */
capos_status capos_console_write(uintptr_t ring, const void *bytes, uint32_t n);
capos_status capos_vm_map(uintptr_t ring, uint64_t hint, uint64_t size, uint32_t prot, uint64_t *addr);
capos_status capos_vm_unmap(uintptr_t ring, uint64_t addr, uint64_t size);
capos_status capos_vm_protect(uintptr_t ring, uint64_t addr, uint64_t size, uint32_t prot);
capos_status capos_vm_reserve(uintptr_t ring, uint64_t hint, uint64_t size, uint64_t *addr);
capos_status capos_vm_commit(uintptr_t ring, uint64_t addr, uint64_t size, uint32_t prot);
capos_status capos_vm_decommit(uintptr_t ring, uint64_t addr, uint64_t size);
capos_status capos_set_fs_base(uintptr_t ring, uint64_t base);
capos_status capos_get_fs_base(uintptr_t ring, uint64_t *base);
__attribute__((noreturn)) void capos_thread_exit(uintptr_t ring, uint64_t value);
capos_status capos_spawn(uintptr_t ring, uint64_t entry, uint64_t stack_top, uint64_t arg, uint64_t fs_base, uint32_t *handle_cap);
capos_status capos_join(uintptr_t ring, uint32_t handle_cap, uint64_t *exit_value);
/* ThreadHandle.join without waiting: the request's buffers must live until its CQE is reaped. */
typedef struct {
  uint64_t p[4];
  uint64_t r[32];
} capos_join_req_t;
void capos_join_prepare(volatile uint8_t *sqe, uint32_t handle_cap, capos_join_req_t *req);
capos_status capos_join_finish(capos_join_req_t *req, int32_t result, uint64_t *exit_value);
/* CAP_OP_RELEASE: returns the CQE result. */
int32_t capos_release(uintptr_t ring, uint32_t cap);
capos_status capos_timer_now(uintptr_t ring, uint64_t *ns);
capos_status capos_timer_sleep(uintptr_t ring, uint64_t ns);
/* PARK/UNPARK through the ParkSpace cap: return the CQE result. */
int32_t capos_park(uintptr_t ring, volatile uint32_t *word, uint32_t expected, uint64_t timeout_ns);
int32_t capos_unpark(uintptr_t ring, volatile uint32_t *word, uint32_t count);

/* TLS (variant II). Symbols from capos.ld. */
extern const uint8_t __tls_image_start[];
extern const uint8_t __tls_filesz[], __tls_memsz[], __tls_align[];
#define CAPOS_TLS_FILESZ ((uintptr_t)__tls_filesz)
#define CAPOS_TLS_MEMSZ ((uintptr_t)__tls_memsz)
#define CAPOS_TLS_ALIGN ((uintptr_t)__tls_align)
/* Offset of the TLS block below TP (TLSV2-2) and the TP alignment (TLSV2-3, TLSV2-7). */
uint64_t capos_tls_offset(void);
uint64_t capos_tp_align(void);
/* Build a fresh TLS block + TCB inside [area, area+size); returns TP or 0 if it does not fit. */
uint64_t capos_tls_init(uint8_t *area, uint64_t size);
static inline uint64_t capos_read_tp(void) {
  uint64_t v;
  __asm__ volatile("movq %%fs:0, %0" : "=r"(v));
  return v;
}

/* Threads. The new thread runs fn(t) with t->ring set to its own ring; fn's return value
 * becomes its exit value (ThreadControl.exit). */
typedef struct capos_thread capos_thread_t;
typedef uint64_t (*capos_thread_fn)(capos_thread_t *t);
struct capos_thread {
  capos_thread_fn fn;
  void *arg;
  uintptr_t ring;     /* filled in by the new thread */
  uint64_t fs_base;   /* FS base passed to spawn */
  uint64_t stack_top; /* RSP passed to spawn (16-byte aligned) */
  uint32_t handle;    /* ThreadHandle cap id (CQE capId of spawn) */
  uint32_t index;
};
capos_status capos_thread_spawn(uintptr_t ring, capos_thread_t *t);
void capos_thread_entry(void); /* assembly trampoline */

/* Output: a small line builder written to Console. */
typedef struct {
  char buf[480];
  uint32_t n;
} capos_line_t;
void capos_line_str(capos_line_t *l, const char *s);
void capos_line_hex(capos_line_t *l, uint64_t v);
void capos_line_dec(capos_line_t *l, int64_t v);
void capos_line_kv(capos_line_t *l, const char *key, uint64_t v); /* " key=0x.." */
capos_status capos_line_flush(uintptr_t ring, capos_line_t *l);    /* appends '\n', writes, resets */
capos_status capos_puts(uintptr_t ring, const char *s);

#endif
