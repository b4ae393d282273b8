/* Never terminates: the instruction budget must stop it. */
#include "rt.h"
int main(int argc, char **argv) { (void)argc; (void)argv; volatile u64 i = 0; for (;;) i++; }
