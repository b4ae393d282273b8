/*
 * long double <math.h> and <fenv.h> under a real libc (glibc or musl, gcc or clang): expl,
 * powl, sinl, cosl, tanl, atanl, logl, fmodl, remainderl, frexpl, rintl in each rounding mode
 * (these reach F2XM1, FSCALE, FYL2X, FPATAN, FSIN/FCOS/FPTAN, FPREM/FPREM1, FXTRACT, FRNDINT),
 * then fetestexcept after SSE arithmetic and conversions, feraiseexcept and fesetround.
 * Every value is printed as its raw 80-bit pattern and in decimal, so the output compares
 * byte for byte with a native run of the same binary.
 */
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#pragma STDC FENV_ACCESS ON

static void show(const char *name, long double v) {
  unsigned char b[16];
  memset(b, 0, sizeof b);
  memcpy(b, &v, 10);
  printf("%-14s ", name);
  for (int i = 9; i >= 0; i--) printf("%02x", b[i]);
  printf(" %.20Lg\n", v);
}
static void flags(const char *what) {
  int f = fetestexcept(FE_ALL_EXCEPT);
  printf("%-22s%s%s%s%s%s\n", what, f & FE_INVALID ? " invalid" : "", f & FE_DIVBYZERO ? " divbyzero" : "",
         f & FE_OVERFLOW ? " overflow" : "", f & FE_UNDERFLOW ? " underflow" : "", f & FE_INEXACT ? " inexact" : "");
  feclearexcept(FE_ALL_EXCEPT);
}

static volatile long double in[] = { 0.5L, 1.0L, -2.75L, 3.14159265358979L, 1e-30L, 12345.678L, -0.0L, 1e10L, 0.1L, 700.5L, -11356.5L, 2.5L };
static volatile double d1 = 1.0, d3 = 3.0, d0 = 0.0, big = 1e308, tiny = 1e-308, neg = -1.0, huge = 1e10;
static volatile float f1 = 1.0f, f3 = 3.0f;

int main(void) {
  static const int modes[] = { FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO };
  static const char *names[] = { "near", "down", "up", "zero" };
  char label[32];
  for (unsigned k = 0; k < sizeof in / sizeof in[0]; k++) {
    long double x = in[k];
    int e = 0;
    printf("x = %.20Lg\n", x);
    show("expl", expl(x));
    show("powl", powl(fabsl(x), 2.5L));
    show("powl-neg", powl(x, -3.0L));
    show("sinl", sinl(x));
    show("cosl", cosl(x));
    show("tanl", tanl(x));
    show("atanl", atanl(x));
    show("logl", logl(fabsl(x)));
    show("fmodl", fmodl(x, 0.3L));
    show("remainderl", remainderl(x, 0.7L));
    show("frexpl", frexpl(x, &e));
    printf("frexpl-exp     %d\n", e);
    for (int m = 0; m < 4; m++) {
      fesetround(modes[m]);
      snprintf(label, sizeof label, "rintl-%s", names[m]);
      show(label, rintl(x * 3.5L));
      snprintf(label, sizeof label, "div-%s", names[m]);
      show(label, x / 3.0L);
    }
    fesetround(FE_TONEAREST);
  }

  /* <fenv.h> after SSE arithmetic and conversions */
  feclearexcept(FE_ALL_EXCEPT);
  flags("start");
  volatile double r = d1 / d3; (void)r;
  flags("1.0/3.0");
  r = d1 / d0;
  flags("1.0/0.0");
  r = big * 10.0;
  flags("1e308*10");
  r = tiny * 1e-10;
  flags("1e-308*1e-10");
  r = d0 / d0;
  flags("0.0/0.0");
  r = sqrt(neg);
  flags("sqrt(-1)");
  volatile int iv = (int)huge; (void)iv;
  flags("(int)1e10");
  volatile float fr = f1 / f3; (void)fr;
  flags("1.0f/3.0f");
  r = d1 + d3;
  flags("1.0+3.0");
  feraiseexcept(FE_OVERFLOW | FE_INEXACT);
  flags("feraiseexcept");
  for (int m = 0; m < 4; m++) {
    fesetround(modes[m]);
    printf("round %-5s getround=%d 1/3=%a -1/3=%a\n", names[m], fegetround() == modes[m], d1 / d3, -d1 / d3);
  }
  fesetround(FE_TONEAREST);
  return 0;
}
