/* Static glibc program: printf of long double (x87 80-bit), doubles, strtod, qsort, malloc. Built with plain gcc -static. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
int main(int argc, char **argv) {
  long double x = 3.14159265358979323846L, y = 1e100L;
  printf("%Lf %Le %.20Lg %La\n", x, y, x / 3, x);
  printf("%f %g %e %.17g %a\n", 1.0 / 3, 2.5e-310, 6.02214076e23, 0.1, 0.1);
  long double s = 0; for (int i = 1; i < 200; i++) s += 1.0L / i;
  printf("%.18Lf %.5Le\n", s, s * s * s);
  char buf[64]; snprintf(buf, sizeof buf, "%d-%s-%x-%08.3f", argc, argv[0] ? "a" : "b", 0xbeef, -2.5); puts(buf);
  printf("%.10f %.10f %ld\n", strtod("2.718281828459045", 0), atof("1e-5"), strtol("-12345", 0, 10));
  double *v = malloc(1000 * sizeof *v); unsigned r = 7;
  for (int i = 0; i < 1000; i++) { r = r * 1103515245 + 12345; v[i] = (double)(r >> 8) / 3.0; }
  qsort(v, 1000, sizeof *v, cmp);
  printf("%.6f %.6f %.6f\n", v[0], v[500], v[999]);
  free(v);
  return 0;
}
