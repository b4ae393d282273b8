/* Self-modifying code: patches an immediate in an executable+writable buffer and re-runs it. */
#include "rt.h"
int main(int argc, char **argv) { (void)argc; (void)argv;
  u8 *code = (u8 *)sys6(9, 0, 4096, 7, 0x22, -1, 0);
  /* mov eax, imm32 ; ret */
  code[0] = 0xb8; code[5] = 0xc3;
  u64 sum = 0;
  for (u32 i = 0; i < 1000; i++) {
    code[1] = i & 255; code[2] = (i >> 8) & 255; code[3] = 0; code[4] = 0;
    sum += ((u32 (*)(void))code)();
  }
  putu(sum); puts_("\n");
  return sum == 499500 ? 0 : 1;
}
