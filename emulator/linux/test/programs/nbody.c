/* N-body simulation in SSE2 scalar doubles; prints energies as raw bit patterns (exact). */
#include "rt.h"
#define NB 5
static double x[NB][3], v[NB][3], m[NB];
static double energy(void) {
  double e = 0;
  for (int i = 0; i < NB; i++) {
    e += 0.5 * m[i] * (v[i][0]*v[i][0] + v[i][1]*v[i][1] + v[i][2]*v[i][2]);
    for (int j = i + 1; j < NB; j++) {
      double dx = x[i][0]-x[j][0], dy = x[i][1]-x[j][1], dz = x[i][2]-x[j][2];
      e -= m[i]*m[j] / __builtin_sqrt(dx*dx + dy*dy + dz*dz);
    }
  }
  return e;
}
int main(int argc, char **argv) {
  int steps = 20000; if (argc > 1) { steps = 0; for (char *q = argv[1]; *q; q++) steps = steps * 10 + (*q - '0'); }
  u64 s = 7;
  for (int i = 0; i < NB; i++) {
    for (int k = 0; k < 3; k++) { s = s * 6364136223846793005ull + 1; x[i][k] = (double)(i64)(s >> 40) / 1e6; s = s * 6364136223846793005ull + 1; v[i][k] = (double)(i64)(s >> 44) / 1e7; }
    m[i] = 1.0 + i * 0.25;
  }
  double e0 = energy();
  for (int step = 0; step < steps; step++) {
    for (int i = 0; i < NB; i++) for (int j = i + 1; j < NB; j++) {
      double dx = x[i][0]-x[j][0], dy = x[i][1]-x[j][1], dz = x[i][2]-x[j][2];
      double d2 = dx*dx + dy*dy + dz*dz, mag = 0.001 / (d2 * __builtin_sqrt(d2));
      v[i][0] -= dx*m[j]*mag; v[i][1] -= dy*m[j]*mag; v[i][2] -= dz*m[j]*mag;
      v[j][0] += dx*m[i]*mag; v[j][1] += dy*m[i]*mag; v[j][2] += dz*m[i]*mag;
    }
    for (int i = 0; i < NB; i++) for (int k = 0; k < 3; k++) x[i][k] += 0.001 * v[i][k];
  }
  double e1 = energy();
  union { double d; u64 u; } a = { e0 }, b = { e1 };
  puthex(a.u); puts_(" "); puthex(b.u); puts_(" "); putu((u64)(i64)(e1 * 1e6 < 0 ? -e1 * 1e6 : e1 * 1e6)); puts_("\n");
  return 0;
}
