/* Allocates (and touches) anonymous memory without bound: the memory budget must stop it. */
#include "rt.h"
int main(int argc, char **argv) { (void)argc; (void)argv;
  for (;;) {
    long p = sys6(9, 0, 1 << 20, 3, 0x22, -1, 0);
    if (p < 0) { puts_("mmap failed\n"); return 3; }
    ((volatile char *)p)[0] = 1;
  }
}
