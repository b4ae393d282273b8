/*
 * capos-native: runs static capOS ELFs natively on x86-64 Linux (see ../README.md).
 *
 * Every ABI number comes from capos_abi.h, generated from spec/binding.ts by
 * targets/gen-abi.ts. Nothing here is shared with emulator/ or model/.
 */
#ifndef CAPOS_NATIVE_H
#define CAPOS_NATIVE_H
#define _GNU_SOURCE
#include <stdint.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <ucontext.h>
#include "capos_abi.h"

#define NATIVE_VERSION "capos-native 0.1.0"
#define PAGE CAPOS_PAGE_SIZE
#define NO_DEADLINE UINT64_MAX

/* Exit statuses of the runner protocol (spec/run-protocol.ts COMMAND_STATUS). */
enum { ST_REJECTED = 126, ST_BUDGET = 124, ST_HANG = 125, ST_PF = 139, ST_UD = 132, ST_DE = 136 };

/* Seeded bugs (--mutant). */
enum mutant { MUT_NONE, MUT_LOST_WAKE, MUT_NO_DRAIN, MUT_FS_NOT_RESTORED };
extern enum mutant g_mutant;

/* Memory the parent shares with the case child: Console bytes and the stderr detail. */
#define CONSOLE_CAP (1u << 20)
struct shared_out {
  uint32_t runner_fault_sig; /* non-zero: the case child died of a runner bug */
  uint64_t runner_fault_rip;
  uint32_t console_len;
  uint32_t detail_len;
  char detail[4096];
  uint8_t console[CONSOLE_CAP];
};
extern struct shared_out *g_out;
void out_console(const void *p, size_t n);
void out_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void process_end(int status);

/* ---- guest memory map (vm.c) ---- */
enum { ACC_READ = 1, ACC_WRITE = 2 };
/* A fixed region set up by the loader (image pages, stack, rings, CapSet, TLS). */
int mem_add_fixed(uint64_t start, uint64_t end, uint32_t prot);
void mem_remove_fixed(uint64_t start, uint64_t end);
/* 1 if [addr, addr+len) is accessible to the guest with `acc` (len 0: always 1). */
int mem_ok(uint64_t addr, uint64_t len, int acc);
/* Generation of the page holding addr (park keys, PARKX-7). */
uint64_t mem_generation(uint64_t addr);
/* VirtualMemory methods: 0 or the CapException type (CAPOS_EXC_*), result in *out. */
int vm_map(uint64_t hint, uint64_t size, uint32_t prot, int commit, uint64_t *out);
int vm_unmap(uint64_t addr, uint64_t size);
int vm_protect(uint64_t addr, uint64_t size, uint32_t prot);
int vm_commit(uint64_t addr, uint64_t size, uint32_t prot);
int vm_decommit(uint64_t addr, uint64_t size);
/* Host protection for a guest protection (read is implied by any bit, VMX-6). */
int host_prot(uint32_t prot);

/* ---- Cap'n Proto (capnp.c) ---- */
struct capnp_struct {
  const uint8_t *seg;   /* segment 0 */
  uint64_t seg_words;
  uint64_t data_at;     /* word index of the data section */
  uint32_t data_words, ptr_words;
};
/* Decodes a framed, unpacked message; 0 on success, -1 if malformed. */
int capnp_read_root(const uint8_t *buf, uint64_t len, struct capnp_struct *out);
uint64_t capnp_u64(const struct capnp_struct *s, uint32_t byte_off);
uint32_t capnp_u32(const struct capnp_struct *s, uint32_t byte_off);
/* A byte list (Data/Text) at pointer `index`: 0 ok (null gives n=0), -1 malformed. */
int capnp_bytes(const struct capnp_struct *s, uint32_t index, const uint8_t **p, uint64_t *n);
/* Encoders: write a framed message into buf (cap bytes); return its size (may exceed cap:
 * then nothing useful was written and the caller reports the size mismatch). */
uint32_t capnp_encode_data(uint8_t *buf, uint32_t cap, const uint64_t *words, uint32_t data_words);
uint32_t capnp_encode_exception(uint8_t *buf, uint32_t cap, uint16_t type, const char *msg);

/* ---- threads, rings, capabilities (kernel.c) ---- */
#define ALT_SIZE (256u * 1024u)  /* sigaltstack; the thread struct sits at its base */
struct thread {
  /* fixed-position fields used with the guest's FS loaded */
  uint64_t host_fs;
  volatile uint8_t selector;   /* syscall user dispatch selector */
  int id;                      /* 0 = initial thread */
  uint64_t fs;                 /* guest FS base */
  uint64_t ring;               /* guest address of this thread's ring page */
  int ring_slot;               /* -1 for the initial thread */
  uint64_t entry, stack_top, arg0, arg1, arg2; /* entry registers */
  sigjmp_buf exit_jmp;
  ucontext_t start_uc;
  /* scheduling (under the kernel lock) */
  volatile uint32_t wake;      /* futex word */
  int blocked;
  uint64_t deadline;
  int exited, handle_live;
  uint64_t exit_value;
  struct completion *held, **held_tail; /* CQEs waiting for CQ room (RINGX-2) */
  struct thread *next_all;
};
struct completion {
  uint64_t user_data;
  int32_t result;
  uint32_t cap_id;
  uint64_t iid;
  struct completion *next;
};
uint64_t vnow(void);
struct thread *kernel_init(uint64_t tp, uint64_t entry);
struct thread *thread_alloc(void);
int thread_start(struct thread *t);
/* The SIGSYS dispatch: returns the value for RAX. */
uint64_t kernel_syscall(struct thread *t, uint64_t nr, uint64_t a0, uint64_t a1);
/* Drain park waiters whose word lies in [start, end) (PARK-6). Called under the lock. */
void park_drain(uint64_t start, uint64_t end);
extern pthread_mutex_t k_lock;
extern uint64_t k_last_fs;

/* ---- traps (trap.c) ---- */
void trap_init(void);
void trap_thread_setup(struct thread *t);
__attribute__((noreturn)) void trap_enter_guest(struct thread *t);
void set_fs(uint64_t v);
uint64_t get_fs(void);

/* ---- loader (elf.c) ---- */
struct loaded {
  uint64_t entry, tp;
};
/* 0 on success; on rejection returns -1 with a reason in why. */
int elf_load(const uint8_t *img, uint64_t size, struct loaded *out, char *why, size_t whylen);
int ring_map(uint64_t addr);

#endif
