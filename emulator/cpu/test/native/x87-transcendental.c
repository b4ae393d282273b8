/*
 * Runs one x87 transcendental per record on the host, for x87-accuracy.ts.
 * stdin records (23 bytes): u8 op (0 FSIN, 1 FCOS, 2 FPTAN, 3 FSINCOS, 4 F2XM1, 5 FYL2X,
 * 6 FYL2XP1, 7 FPATAN), u16 FCW, 80-bit x (ST0), 80-bit y (ST1 for the two-operand ones).
 * stdout records (22 bytes): 80-bit ST0 after the instruction, 80-bit ST1 (FPTAN, FSINCOS; else 0),
 * u16 FSW.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
unsigned char X[16], Y[16], R0[16], R1[16]; uint16_t CW, CW0=0x37f, SW;
#define ONE(ins) __asm__ volatile("fninit\n fldcw CW(%%rip)\n fldt X(%%rip)\n " ins "\n fnstsw SW(%%rip)\n fstpt R0(%%rip)\n fldcw CW0(%%rip)":::"memory")
#define TWO_OUT(ins) __asm__ volatile("fninit\n fldcw CW(%%rip)\n fldt X(%%rip)\n " ins "\n fnstsw SW(%%rip)\n fstpt R0(%%rip)\n fstpt R1(%%rip)\n fldcw CW0(%%rip)":::"memory")
#define TWO_IN(ins) __asm__ volatile("fninit\n fldcw CW(%%rip)\n fldt Y(%%rip)\n fldt X(%%rip)\n " ins "\n fnstsw SW(%%rip)\n fstpt R0(%%rip)\n fldcw CW0(%%rip)":::"memory")
int main(){
  unsigned char in[23], out[22];
  while (fread(in,1,23,stdin)==23){
    unsigned op=in[0]; memcpy(&CW,in+1,2); memcpy(X,in+3,10); memcpy(Y,in+13,10);
    memset(R0,0,16); memset(R1,0,16);
    switch(op){
    case 0: ONE("fsin"); break;
    case 1: ONE("fcos"); break;
    case 2: TWO_OUT("fptan"); break;
    case 3: TWO_OUT("fsincos"); break;
    case 4: ONE("f2xm1"); break;
    case 5: TWO_IN("fyl2x"); break;
    case 6: TWO_IN("fyl2xp1"); break;
    case 7: TWO_IN("fpatan"); break;
    }
    memcpy(out,R0,10); memcpy(out+10,R1,10); memcpy(out+20,&SW,2);
    fwrite(out,1,22,stdout);
  }
  return 0;
}
