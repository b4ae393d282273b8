/* A small stack-machine bytecode interpreter (switch dispatch) running a counting program
 * (iterations from argv[1], default 400000). */
#include "rt.h"
enum { PUSH, ADD, SUB, MUL, DUP, SWAP, JNZ, DEC, POP, XOR, HALT, OVER, ROT };
static i64 prog[] = {
  PUSH, 0, PUSH, 400000,        /* acc n */
  /* loop: */ SWAP, OVER, MUL, PUSH, 7, ADD, PUSH, 1000003, XOR, SWAP, DEC, DUP, JNZ, 4, POP, HALT };
int main(int argc, char **argv) {
  if (argc > 1) { i64 n = 0; for (char *p = argv[1]; *p; p++) n = n * 10 + (*p - '0'); prog[3] = n; }
  i64 st[64]; int sp = 0; long pc = 0; u64 steps = 0;
  for (;;) {
    steps++;
    switch (prog[pc++]) {
      case PUSH: st[sp++] = prog[pc++]; break;
      case ADD: sp--; st[sp-1] += st[sp]; break;
      case SUB: sp--; st[sp-1] -= st[sp]; break;
      case MUL: sp--; st[sp-1] *= st[sp]; break;
      case XOR: sp--; st[sp-1] ^= st[sp]; break;
      case DUP: st[sp] = st[sp-1]; sp++; break;
      case OVER: st[sp] = st[sp-2]; sp++; break;
      case SWAP: { i64 t = st[sp-1]; st[sp-1] = st[sp-2]; st[sp-2] = t; break; }
      case ROT: { i64 t = st[sp-3]; st[sp-3] = st[sp-2]; st[sp-2] = st[sp-1]; st[sp-1] = t; break; }
      case DEC: st[sp-1]--; break;
      case POP: sp--; break;
      case JNZ: { long t = prog[pc++]; if (st[--sp]) pc = t; break; }
      case HALT: puthex((u64)st[sp-1]); puts_(" "); putu(steps); puts_("\n"); return 0;
    }
  }
}
