/* Exercises division, string ops, bit ops and 128-bit multiply; prints a digest. */
#include "rt.h"
static u8 src[1000], dst[1000];
int main(int argc, char **argv) { (void)argc; (void)argv;
  (void)argv;
  u64 h = 1469598103934665603ull;
  for (int i = 0; i < 1000; i++) src[i] = (u8)(i * 7 + argc);
  __asm__ volatile("rep movsb" : : "D"(dst), "S"(src), "c"(1000) : "memory");
  for (int i = 0; i < 1000; i++) h = (h ^ dst[i]) * 1099511628211ull;
  for (i64 a = -500; a < 500; a += 7) for (i64 b = -37; b < 40; b += 9) if (b) { h = h * 31 + (u64)(a / b) + (u64)(a % b); h ^= (u64)((u32)a / (u32)(b | 1)); }
  for (u64 v = 1; v; v <<= 3) { h += __builtin_ctzll(v) + __builtin_clzll(v) * 3 + (int)((v ^ h) & 63); }
  unsigned __int128 p = (unsigned __int128)h * 0xfedcba9876543210ull; h ^= (u64)(p >> 64);
  __int128 q = (__int128)(i64)h * -12345; h ^= (u64)(q >> 64);
  h += __builtin_bswap64(h) + __builtin_bswap32((u32)h);
  puthex(h); puts_("\n");
  return (int)(h & 7);
}
