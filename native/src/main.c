/*
 * capos-native: the runner protocol (BATCH-PROTOCOL.md, spec/run-protocol.ts).
 *
 *   capos-native [--mutant NAME] [--cpu-seconds N] [--wall-seconds N] <elf>
 *   capos-native [--mutant NAME] [...] --batch
 *
 * Every case runs in a fresh child forked from the runner, so cases are isolated; the child
 * writes its Console bytes and fault detail into memory shared with the parent, which turns
 * the child's end into the protocol's status (budget = CPU-time or wall-clock limit).
 */
#include "native.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum mutant g_mutant = MUT_NONE;
struct shared_out *g_out;
static unsigned cpu_seconds = 10, wall_seconds = 30;
#define AS_LIMIT (2ull << 30)

void out_console(const void *p, size_t n) {
  uint32_t room = CONSOLE_CAP - g_out->console_len;
  if (n > room) n = room;
  memcpy(g_out->console + g_out->console_len, p, n);
  g_out->console_len += (uint32_t)n;
}

void out_detail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(g_out->detail, sizeof g_out->detail, fmt, ap);
  va_end(ap);
  g_out->detail_len = n < 0 ? 0 : n >= (int)sizeof g_out->detail ? (uint32_t)sizeof g_out->detail - 1 : (uint32_t)n;
}

void process_end(int status) { _exit(status); }

static __attribute__((noreturn)) void child_main(const uint8_t *img, uint64_t size) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  struct rlimit cpu = {cpu_seconds, cpu_seconds + 1};
  setrlimit(RLIMIT_CPU, &cpu);
  /* Memory budget: the VirtualMemory quotas bound what a guest can ask for; the address-space
   * cap bounds the runner as well (one malloc arena, so threads do not reserve one each). */
  mallopt(M_ARENA_MAX, 1);
  struct rlimit as = {AS_LIMIT, AS_LIMIT};
  setrlimit(RLIMIT_AS, &as);
  trap_init();
  struct loaded l;
  char why[256];
  if (elf_load(img, size, &l, why, sizeof why) != 0) {
    out_detail("rejected: %s", why);
    _exit(ST_REJECTED);
  }
  struct thread *t = kernel_init(l.tp, l.entry);
  if (thread_start(t) != 0) _exit(ST_BUDGET);
  for (;;) pause();
}

struct result {
  int status;
};

/* Runs one case; fills g_out and returns the protocol status. */
static int run_case(const char *path) {
  g_out->console_len = 0;
  g_out->detail_len = 0;
  g_out->runner_fault_sig = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out_detail("rejected: cannot open %s: %s", path, strerror(errno));
    return ST_REJECTED;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
    close(fd);
    out_detail("rejected: %s is not a regular file of at most 64 MiB", path);
    return ST_REJECTED;
  }
  uint64_t size = (uint64_t)st.st_size;
  uint8_t *img = malloc(size ? size : 1);
  uint64_t got = 0;
  while (img && got < size) {
    ssize_t n = read(fd, img + got, size - got);
    if (n <= 0) break;
    got += (uint64_t)n;
  }
  close(fd);
  if (!img || got != size) {
    free(img);
    out_detail("rejected: cannot read %s", path);
    return ST_REJECTED;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    free(img);
    out_detail("capos-native: fork failed: %s", strerror(errno));
    return ST_REJECTED;
  }
  if (pid == 0) child_main(img, size);
  free(img);
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  int timed_out = 0;
  if (pfd >= 0) {
    struct pollfd p = {pfd, POLLIN, 0};
    int r;
    do r = poll(&p, 1, (int)(wall_seconds * 1000)); while (r < 0 && errno == EINTR);
    if (r == 0) {
      timed_out = 1;
      kill(pid, SIGKILL);
    }
    close(pfd);
  }
  int ws;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
  if (timed_out) {
    out_detail("budget: wall-clock limit of %u s", wall_seconds);
    return ST_BUDGET;
  }
  if (g_out->runner_fault_sig) {
    out_detail("capos-native: internal fault (signal %u at rip 0x%llx)", g_out->runner_fault_sig, (unsigned long long)g_out->runner_fault_rip);
    return -(int)g_out->runner_fault_sig;
  }
  if (WIFEXITED(ws)) return WEXITSTATUS(ws);
  int sig = WTERMSIG(ws);
  if (sig == SIGXCPU || sig == SIGKILL) {
    out_detail("budget: CPU-time limit of %u s", cpu_seconds);
    return ST_BUDGET;
  }
  return -sig; /* the runner itself crashed */
}

static void put_base64(FILE *f, const uint8_t *p, uint32_t n) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (uint32_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    fputc(A[v >> 18 & 63], f);
    fputc(A[v >> 12 & 63], f);
    fputc(i + 1 < n ? A[v >> 6 & 63] : '=', f);
    fputc(i + 2 < n ? A[v & 63] : '=', f);
  }
}

/* utf8: pass bytes >= 0x80 through (a path read from stdin, echoed as the same UTF-8 string);
 * otherwise escape them one by one (diagnostics stay ASCII whatever they contain). */
static void put_json_string(FILE *f, const char *s, uint32_t n, int utf8) {
  fputc('"', f);
  for (uint32_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

static int batch(void) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    if (line[n - 1] == '\n') line[--n] = 0;
    if (n == 0) continue;
    int status = run_case(line);
    if (status < 0) {
      out_detail("capos-native: runner crashed with signal %d", -status);
      status = ST_REJECTED;
    }
    printf("{\"v\":1,\"status\":%d,\"console\":\"", status);
    put_base64(stdout, g_out->console, g_out->console_len);
    printf("\",\"detail\":");
    put_json_string(stdout, g_out->detail, g_out->detail_len, 0);
    printf(",\"elf\":");
    put_json_string(stdout, line, (uint32_t)n, 1);
    printf(",\"version\":\"%s\"}\n", NATIVE_VERSION);
    fflush(stdout);
  }
  free(line);
  return 0;
}

static int usage(void) {
  fprintf(stderr, "usage: capos-native [--mutant lost-wake|no-drain|fs-not-restored] [--cpu-seconds N] [--wall-seconds N] (<elf> | --batch)\n");
  return 2;
}

int main(int argc, char **argv) {
  /* Fixed guest mappings sit high in the lower half; without ASLR the runner's stack and
   * mmaps never land there. Re-execute once with randomization off. */
  int pers = personality(0xffffffff);
  if (pers != -1 && !(pers & ADDR_NO_RANDOMIZE) && !getenv("CAPOS_NATIVE_NO_REEXEC")) {
    if (personality((unsigned long)pers | ADDR_NO_RANDOMIZE) != -1) {
      setenv("CAPOS_NATIVE_NO_REEXEC", "1", 1);
      execv("/proc/self/exe", argv);
    }
  }
  unsetenv("CAPOS_NATIVE_NO_REEXEC");
  int batch_mode = 0;
  const char *elf = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--batch")) batch_mode = 1;
    else if (!strcmp(argv[i], "--mutant") && i + 1 < argc) {
      const char *m = argv[++i];
      if (!strcmp(m, "lost-wake")) g_mutant = MUT_LOST_WAKE;
      else if (!strcmp(m, "no-drain")) g_mutant = MUT_NO_DRAIN;
      else if (!strcmp(m, "fs-not-restored")) g_mutant = MUT_FS_NOT_RESTORED;
      else {
        fprintf(stderr, "capos-native: unknown mutant \"%s\" (known: lost-wake, no-drain, fs-not-restored)\n", m);
        return 2;
      }
    } else if (!strcmp(argv[i], "--cpu-seconds") && i + 1 < argc) cpu_seconds = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--wall-seconds") && i + 1 < argc) wall_seconds = (unsigned)atoi(argv[++i]);
    else if (argv[i][0] == '-' && argv[i][1]) return usage();
    else if (!elf) elf = argv[i];
    else return usage();
  }
  if (batch_mode == (elf != NULL)) return usage();
  if (cpu_seconds == 0) cpu_seconds = 1;
  if (wall_seconds == 0) wall_seconds = 1;
  g_out = mmap(NULL, sizeof *g_out, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (g_out == MAP_FAILED) {
    perror("capos-native: mmap");
    return ST_REJECTED;
  }
  if (batch_mode) return batch();
  int status = run_case(elf);
  fwrite(g_out->console, 1, g_out->console_len, stdout);
  fflush(stdout);
  if (g_out->detail_len) fprintf(stderr, "%.*s\n", (int)g_out->detail_len, g_out->detail);
  if (status < 0) {
    fprintf(stderr, "capos-native: runner crashed with signal %d\n", -status);
    signal(-status, SIG_DFL);
    raise(-status);
    return ST_REJECTED;
  }
  return status;
}
