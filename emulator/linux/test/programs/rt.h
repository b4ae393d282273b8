/* Minimal freestanding runtime for test programs: raw syscalls, _start, tiny printing. */
typedef unsigned long u64; typedef long i64; typedef unsigned int u32; typedef int i32; typedef unsigned char u8;
static inline long sys3(long n, long a, long b, long c) {
  long r; __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory"); return r;
}
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  long r; register long r10 __asm__("r10") = d; register long r8 __asm__("r8") = e; register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory"); return r;
}
static void wr(const char *s, long n) { sys3(1, 1, (long)s, n); }
static long slen(const char *s) { long n = 0; while (s[n]) n++; return n; }
static void puts_(const char *s) { wr(s, slen(s)); }
static void putu(u64 v) { char b[24]; int i = 23; b[i] = 0; do { b[--i] = '0' + v % 10; v /= 10; } while (v); puts_(b + i); }
static void puthex(u64 v) { char b[17]; for (int i = 15; i >= 0; i--) { b[i] = "0123456789abcdef"[v & 15]; v >>= 4; } b[16] = 0; puts_(b); }
static __attribute__((noreturn)) void exit_(int c) { sys3(231, c, 0, 0); for (;;) {} }
int main(int argc, char **argv);
__attribute__((force_align_arg_pointer)) void _start_c(long *sp) { exit_(main((int)sp[0], (char **)(sp + 1))); }
__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call _start_c\n hlt\n");
