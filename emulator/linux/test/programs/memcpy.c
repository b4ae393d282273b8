/* memcpy-heavy: copies blocks of varying sizes and alignments between two buffers (16-byte SSE
 * moves, 8-byte words and bytes, plus REP MOVSQ for large blocks); prints a digest.
 * Rounds from argv[1] (default 200). */
#include "rt.h"
static u8 a[1 << 16], b[1 << 16];
typedef char v16 __attribute__((vector_size(16), aligned(1), may_alias));
typedef u64 u64u __attribute__((aligned(1), may_alias));
/* 16-byte SSE moves, then 8-byte words, then bytes (what a libc memcpy does for small sizes) */
static void copy(u8 *d, const u8 *s, u64 n) {
  u64 i = 0;
  for (; i + 16 <= n; i += 16) *(v16 *)(d + i) = *(const v16 *)(s + i);
  for (; i + 8 <= n; i += 8) *(u64u *)(d + i) = *(const u64u *)(s + i);
  for (; i < n; i++) d[i] = s[i];
}
int main(int argc, char **argv) {
  u64 rounds = 200;
  if (argc > 1) { rounds = 0; for (char *p = argv[1]; *p; p++) rounds = rounds * 10 + (*p - '0'); }
  for (u64 i = 0; i < sizeof a; i++) a[i] = (u8)(i * 131 + (i >> 7));
  u64 h = 1469598103934665603ull, x = 88172645463325252ull;
  for (u64 r = 0; r < rounds; r++) {
    for (int k = 0; k < 64; k++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      u64 n = x & 1023, so = (x >> 12) & 0x7fff, dof = (x >> 28) & 0x7fff;
      copy(b + dof, a + so, n);
      h = (h ^ b[dof + (n >> 1)]) * 1099511628211ull;
    }
    u64 q = 4096;
    __asm__ volatile("rep movsq" : "+D"((u8 *){b + 8192}), "+S"((const u8 *){a + (r & 255) * 8}), "+c"(q) : : "memory");
    h = (h ^ b[8192 + (r & 4095)]) * 1099511628211ull;
    copy(a + 32768 + (r & 63), b + 8192, 4096);
  }
  puthex(h); puts_("\n");
  return 0;
}
