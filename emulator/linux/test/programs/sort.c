/* Recursive quicksort of pseudo-random 64-bit keys; prints a checksum. */
#include "rt.h"
#define N 60000
static i64 a[N];
static void qs(i64 *v, long lo, long hi) {
  while (lo < hi) {
    i64 p = v[(lo + hi) / 2]; long i = lo, j = hi;
    while (i <= j) { while (v[i] < p) i++; while (v[j] > p) j--; if (i <= j) { i64 t = v[i]; v[i] = v[j]; v[j] = t; i++; j--; } }
    if (j - lo < hi - i) { qs(v, lo, j); lo = i; } else { qs(v, i, hi); hi = j; }
  }
}
int main(int argc, char **argv) {
  int reps = 1; if (argc > 1) { reps = 0; for (char *q = argv[1]; *q; q++) reps = reps * 10 + (*q - '0'); }
  u64 x = 12345, s = 0; int ok = 1;
  for (int r = 0; r < reps; r++) {
    for (int i = 0; i < N; i++) { x = x * 6364136223846793005ull + 1442695040888963407ull; a[i] = (i64)(x >> 3) - (1ll << 59); }
    qs(a, 0, N - 1);
    for (int i = 0; i < N; i++) { s = s * 31 + (u64)a[i]; if (i && a[i-1] > a[i]) ok = 0; }
  }
  puts_(ok ? "sorted " : "UNSORTED "); puthex(s); puts_("\n");
  return 0;
}
