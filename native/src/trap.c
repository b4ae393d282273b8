/*
 * Trapping the guest: syscall user dispatch (PR_SET_SYSCALL_USER_DISPATCH) turns every
 * `syscall` the guest executes into SIGSYS; faults arrive as SIGSEGV/SIGBUS/SIGILL/SIGFPE.
 * Handlers run on a per-thread sigaltstack whose base holds the thread struct, so they find
 * their thread without TLS: the guest owns %fs while it runs, and glibc's TLS (errno, the
 * pointer guard) is only usable after the handler has switched FS back to the runner's.
 */
#include "native.h"
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <asm/prctl.h>
#include <linux/audit.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef SYSCALL_DISPATCH_FILTER_ALLOW
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#define SYSCALL_DISPATCH_FILTER_BLOCK 1
#endif
#define ALT_RESERVED 4096 /* the thread struct's page at the base of the altstack area */

extern char __executable_start[], etext[];
static int have_fsgsbase;

static long raw_syscall2(long n, long a, long b) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
  return r;
}

void set_fs(uint64_t v) {
  if (have_fsgsbase) __asm__ volatile("wrfsbase %0" : : "r"(v) : "memory");
  else raw_syscall2(SYS_arch_prctl, ARCH_SET_FS, (long)v);
}

uint64_t get_fs(void) {
  uint64_t v = 0;
  if (have_fsgsbase) __asm__ volatile("rdfsbase %0" : "=r"(v));
  else raw_syscall2(SYS_arch_prctl, ARCH_GET_FS, (long)&v);
  return v;
}

static inline __attribute__((always_inline)) struct thread *self_from_altstack(void) {
  char here;
  return (struct thread *)((uintptr_t)&here & ~(uintptr_t)(ALT_SIZE - 1));
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv) {
  (void)sig;
  struct thread *t = self_from_altstack();
  t->selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  set_fs(t->host_fs);
  greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;
  if (si->si_arch != AUDIT_ARCH_X86_64) {
    /* int 0x80 (a 32-bit entry) also reaches syscall user dispatch; on capOS only `syscall`
     * enters the kernel and int 0x80 has no user gate: #GP. */
    pthread_mutex_lock(&k_lock);
    out_detail("#GP at rip 0x%llx thread %d (int 0x80)", (unsigned long long)g[REG_RIP] - 2, t->id);
    process_end(ST_PF);
  }
  g[REG_RAX] = (greg_t)kernel_syscall(t, (uint64_t)g[REG_RAX], (uint64_t)g[REG_RDI], (uint64_t)g[REG_RSI]);
  /* Trap return: the thread's own FS base (FSB-5), or the seeded bug's last-set one. */
  set_fs(g_mutant == MUT_FS_NOT_RESTORED ? __atomic_load_n(&k_last_fs, __ATOMIC_RELAXED) : t->fs);
  t->selector = SYSCALL_DISPATCH_FILTER_BLOCK;
}

/* A fault in runner code is a runner bug, never a guest end: record it for the parent (which
 * reports a crashed runner) without libc, since FS may not be the runner's. */
static __attribute__((noreturn)) void runner_bug(int sig, uint64_t rip) {
  g_out->runner_fault_sig = (uint32_t)sig;
  g_out->runner_fault_rip = rip;
  for (;;) raw_syscall2(SYS_exit_group, 70, 0);
}

static void on_fault(int sig, siginfo_t *si, void *ucv) {
  greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;
  /* Guest threads take signals on their sigaltstack; any other thread is runner code. */
  stack_t cur;
  memset(&cur, 0, sizeof cur);
  raw_syscall2(SYS_sigaltstack, 0, (long)&cur);
  if (!(cur.ss_flags & SS_ONSTACK)) runner_bug(sig, (uint64_t)g[REG_RIP]);
  struct thread *t = self_from_altstack();
  /* The selector is BLOCK exactly while guest code runs, wherever it jumped to. */
  if (t->selector != SYSCALL_DISPATCH_FILTER_BLOCK) runner_bug(sig, (uint64_t)g[REG_RIP]);
  t->selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  set_fs(t->host_fs);
  pthread_mutex_lock(&k_lock);
  int status;
  if (sig == SIGSEGV || sig == SIGBUS) {
    status = ST_PF;
    if (si->si_code == SI_KERNEL) {
      out_detail("#GP at rip 0x%llx thread %d", (unsigned long long)g[REG_RIP], t->id);
    } else {
      uint64_t err = (uint64_t)g[REG_ERR];
      const char *acc = (err & 16) ? "exec" : (err & 2) ? "write" : "read";
      out_detail("#PF at 0x%llx %s thread %d", (unsigned long long)(uintptr_t)si->si_addr, acc, t->id);
    }
  } else if (sig == SIGILL) {
    status = ST_UD;
    out_detail("#UD at rip 0x%llx thread %d", (unsigned long long)g[REG_RIP], t->id);
  } else {
    status = ST_DE;
    out_detail("#DE at rip 0x%llx thread %d", (unsigned long long)g[REG_RIP], t->id);
  }
  process_end(status);
}

void trap_init(void) {
  have_fsgsbase = (getauxval(AT_HWCAP2) & 2) != 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigfillset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sa.sa_sigaction = on_sigsys;
  sigaction(SIGSYS, &sa, NULL);
  sa.sa_sigaction = on_fault;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
}

/* Enter guest code with exactly the registers the binding gives (PROCX-1, FSB-2): an
 * rt_sigreturn from a synthetic frame sets every register at once. */
__attribute__((noreturn)) void trap_enter_guest(struct thread *t) {
  ucontext_t *uc = &t->start_uc;
  memset(uc, 0, sizeof *uc);
  greg_t *g = uc->uc_mcontext.gregs;
  g[REG_RIP] = (greg_t)t->entry;
  g[REG_RSP] = (greg_t)t->stack_top;
  g[REG_RDI] = (greg_t)t->arg0;
  g[REG_RSI] = (greg_t)t->arg1;
  g[REG_RDX] = (greg_t)t->arg2;
  g[REG_EFL] = 0x202;
  g[REG_CSGSFS] = (greg_t)(0x33 | ((uint64_t)0x2b << 48)); /* user CS, SS */
  uc->uc_mcontext.fpregs = NULL;                          /* initial FPU/SSE state */
  sigemptyset(&uc->uc_sigmask);
  uc->uc_stack.ss_sp = (char *)t + ALT_RESERVED;
  uc->uc_stack.ss_size = ALT_SIZE - ALT_RESERVED;
  pthread_mutex_lock(&k_lock);
  k_last_fs = t->fs;
  pthread_mutex_unlock(&k_lock);
  set_fs(t->fs);
  t->selector = SYSCALL_DISPATCH_FILTER_BLOCK;
  __asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall" : : "r"(uc) : "memory");
  __builtin_unreachable();
}

static void *guest_thread_main(void *arg) {
  struct thread *t = arg;
  t->host_fs = get_fs();
  stack_t ss = {.ss_sp = (char *)t + ALT_RESERVED, .ss_size = ALT_SIZE - ALT_RESERVED, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  t->selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  uint64_t start = (uint64_t)__executable_start;
  if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, start, (uint64_t)etext - start, &t->selector) != 0) {
    pthread_mutex_lock(&k_lock);
    out_detail("capos-native: syscall user dispatch unavailable");
    process_end(ST_REJECTED);
  }
  if (sigsetjmp(t->exit_jmp, 1) == 0) trap_enter_guest(t);
  return NULL; /* ThreadControl.exit */
}

int thread_start(struct thread *t) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 256 * 1024);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_t id;
  int r = pthread_create(&id, &a, guest_thread_main, t);
  pthread_attr_destroy(&a);
  return r;
}
