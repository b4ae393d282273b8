/* Tight integer loop: xorshift64 + imul + byte stores. N iterations from argv[1] (default 3000000). */
#include "rt.h"
static u8 buf[256];
int main(int argc, char **argv) {
  u64 n = 3000000;
  if (argc > 1) { n = 0; for (char *p = argv[1]; *p; p++) n = n * 10 + (*p - '0'); }
  u64 x = 88172645463325252ull, acc = 0;
  for (u64 i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    acc += x * 0x9E3779B97F4A7C15ull;
    buf[i & 255] = (u8)acc;
  }
  puthex(acc); puts_(" "); putu(buf[7]); puts_("\n");
  return 0;
}
