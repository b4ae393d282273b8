/*
 * tls-probe: checks the initial thread's TLS as set up by the kernel (TLSV2-1..8, PROCX-1,
 * FSB-4) and reports every address and value over Console.
 *
 * Failed-check mask (printed in full on the last Console line); the exit status is
 * capos_probe_status(mask): 0 = all passed, bits 0..5 as below, bit 6 = any of bits >= 6:
 *   bit 0  SELF    %fs:0 holds the thread pointer (non-zero, self-pointer)          TLSV2-1
 *   bit 1  TDATA   .tdata initial values read through C                            TLSV2-4
 *   bit 2  DIRECT  direct %fs:off loads (x@tpoff) see the same values              TLSV2-2
 *   bit 3  TBSS    .tbss values are zero                                           TLSV2-4
 *   bit 4  ALIGN   64- and 256-byte aligned TLS variables are aligned              TLSV2-6
 *   bit 5  ADDR    &x == TP + x@tpoff for every variable                           TLSV2-2
 *   bit 6  IMAGE   the block [TP-off, TP-off+memsz) equals the PT_TLS image + zeros TLSV2-4
 *   bit 7  WRITE   writes through C are seen by %fs loads and vice versa
 *   bit 8  TPPOS   [TP - off, TP + tcbSize) lies in the TLS area [ring - size, ring) TLSV2-7
 *                  (where in the area is the kernel's choice; "expected" prints the
 *                  reference emulator's default, alignDown(ring - tcbSize, align))
 *   bit 9  TPALIGN TP is a multiple of max(p_align, tpMinAlign)                    TLSV2-3
 *   bit 10 GETFS   ThreadControl.getFsBase returns TP                              FSB-4
 *   bit 11 PHDR    PT_TLS (from the program headers) matches the linker symbols
 *   bit 12 CAPS    the CapSet holds Console and ThreadControl
 */
#include "capos_rt.h"

#define V_DATA64 0x1122334455667788ull
#define V_DATA32 0xdeadbeefu
#define V_AL64_0 0x40u
#define V_AL256 0x0256025602560256ull

__thread uint64_t t_data64 = V_DATA64;
__thread uint32_t t_data32 = V_DATA32;
__thread uint64_t t_bss64;
__thread uint8_t t_bss_arr[40];
__thread _Alignas(64) uint8_t t_al64[64] = {V_AL64_0, 1, 2, 3, 4, 5, 6, 7};
__thread _Alignas(256) uint64_t t_al256 = V_AL256;
__thread _Alignas(256) uint64_t t_bss256;

#define TPOFF(sym) ({ int64_t o_; __asm__("movq $" #sym "@tpoff, %0" : "=r"(o_)); o_; })
#define FSLOAD64(sym) ({ uint64_t v_; __asm__ volatile("movq %%fs:" #sym "@tpoff, %0" : "=r"(v_)); v_; })
#define FSLOAD32(sym) ({ uint32_t v_; __asm__ volatile("movl %%fs:" #sym "@tpoff, %0" : "=r"(v_)); v_; })
#define FSLOAD8(sym) ({ uint8_t v_; __asm__ volatile("movb %%fs:" #sym "@tpoff, %0" : "=q"(v_)); v_; })
#define FSSTORE64(sym, v) __asm__ volatile("movq %0, %%fs:" #sym "@tpoff" : : "r"((uint64_t)(v)) : "memory")

extern const uint8_t __ehdr_start[];

static uint32_t failed;
static capos_line_t line;

static void check(uintptr_t ring, int bit, const char *name, int ok) {
  if (!ok) failed |= 1u << bit;
  capos_line_str(&line, "tls-probe: check ");
  capos_line_str(&line, name);
  capos_line_str(&line, ok ? " ok" : " FAIL");
  capos_line_flush(ring, &line);
}

static void report(uintptr_t ring, const char *name, const void *addr, uint64_t value, int64_t tpoff) {
  capos_line_str(&line, "tls-probe: var ");
  capos_line_str(&line, name);
  capos_line_kv(&line, "addr", (uint64_t)(uintptr_t)addr);
  capos_line_kv(&line, "value", value);
  capos_line_str(&line, " tpoff=");
  capos_line_dec(&line, tpoff);
  capos_line_flush(ring, &line);
}

int64_t capos_main(uintptr_t ring, uint64_t pid, uintptr_t capset) {
  uint64_t tp = capos_read_tp();
  uint64_t align = capos_tp_align();
  uint64_t off = capos_tls_offset();

  capos_line_str(&line, "tls-probe: start");
  capos_line_kv(&line, "ring", ring);
  capos_line_kv(&line, "pid", pid);
  capos_line_kv(&line, "capset", capset);
  capos_line_kv(&line, "tp", tp);
  capos_line_flush(ring, &line);
  capos_line_str(&line, "tls-probe: image");
  capos_line_kv(&line, "start", (uint64_t)(uintptr_t)__tls_image_start);
  capos_line_kv(&line, "filesz", CAPOS_TLS_FILESZ);
  capos_line_kv(&line, "memsz", CAPOS_TLS_MEMSZ);
  capos_line_kv(&line, "align", CAPOS_TLS_ALIGN);
  capos_line_kv(&line, "tlsoff", off);
  capos_line_flush(ring, &line);

  check(ring, 12, "CAPS", (capos_caps.found & 0x11) == 0x11);
  check(ring, 0, "SELF", tp != 0 && *(volatile uint64_t *)(uintptr_t)tp == tp);

  report(ring, "t_data64", &t_data64, t_data64, TPOFF(t_data64));
  report(ring, "t_data32", &t_data32, t_data32, TPOFF(t_data32));
  report(ring, "t_bss64", &t_bss64, t_bss64, TPOFF(t_bss64));
  report(ring, "t_bss_arr", t_bss_arr, t_bss_arr[0], TPOFF(t_bss_arr));
  report(ring, "t_al64", t_al64, t_al64[0], TPOFF(t_al64));
  report(ring, "t_al256", &t_al256, t_al256, TPOFF(t_al256));
  report(ring, "t_bss256", &t_bss256, t_bss256, TPOFF(t_bss256));

  int ok = t_data64 == V_DATA64 && t_data32 == V_DATA32 && t_al256 == V_AL256;
  for (int i = 0; i < 8; i++) ok &= t_al64[i] == (i == 0 ? V_AL64_0 : (uint8_t)i);
  for (int i = 8; i < 64; i++) ok &= t_al64[i] == 0;
  check(ring, 1, "TDATA", ok);

  check(ring, 2, "DIRECT",
        FSLOAD64(t_data64) == V_DATA64 && FSLOAD32(t_data32) == V_DATA32 && FSLOAD64(t_al256) == V_AL256 &&
            FSLOAD8(t_al64) == V_AL64_0);

  ok = t_bss64 == 0 && t_bss256 == 0 && FSLOAD64(t_bss64) == 0 && FSLOAD64(t_bss256) == 0;
  for (int i = 0; i < 40; i++) ok &= t_bss_arr[i] == 0;
  check(ring, 3, "TBSS", ok);

  check(ring, 4, "ALIGN",
        ((uintptr_t)t_al64 & 63) == 0 && ((uintptr_t)&t_al256 & 255) == 0 && ((uintptr_t)&t_bss256 & 255) == 0);

  check(ring, 5, "ADDR",
        (uintptr_t)&t_data64 == tp + TPOFF(t_data64) && (uintptr_t)&t_data32 == tp + TPOFF(t_data32) &&
            (uintptr_t)&t_bss64 == tp + TPOFF(t_bss64) && (uintptr_t)t_bss_arr == tp + TPOFF(t_bss_arr) &&
            (uintptr_t)t_al64 == tp + TPOFF(t_al64) && (uintptr_t)&t_al256 == tp + TPOFF(t_al256) &&
            (uintptr_t)&t_bss256 == tp + TPOFF(t_bss256));

  /* TLSV2-4 on the whole block: image bytes then zeros (before anything was written) */
  const volatile uint8_t *block = (const volatile uint8_t *)(uintptr_t)(tp - off);
  ok = 1;
  for (uint64_t i = 0; i < CAPOS_TLS_FILESZ; i++) ok &= block[i] == __tls_image_start[i];
  for (uint64_t i = CAPOS_TLS_FILESZ; i < CAPOS_TLS_MEMSZ; i++) ok &= block[i] == 0;
  capos_line_str(&line, "tls-probe: block");
  capos_line_kv(&line, "start", tp - off);
  capos_line_kv(&line, "end", tp);
  capos_line_flush(ring, &line);
  check(ring, 6, "IMAGE", ok);

  t_data64 = 0xa5a5a5a5a5a5a5a5ull;
  ok = FSLOAD64(t_data64) == 0xa5a5a5a5a5a5a5a5ull;
  FSSTORE64(t_bss64, 0x5a5a5a5a5a5a5a5aull);
  CAPOS_BARRIER();
  ok &= *(volatile uint64_t *)&t_bss64 == 0x5a5a5a5a5a5a5a5aull;
  t_bss_arr[39] = 0x77;
  ok &= *(volatile uint8_t *)(uintptr_t)(tp + TPOFF(t_bss_arr) + 39) == 0x77;
  check(ring, 7, "WRITE", ok);

  uint64_t want_tp = (ring - CAPOS_LAYOUT_TCB_SIZE) & ~(align - 1);
  capos_line_str(&line, "tls-probe: tp");
  capos_line_kv(&line, "expected", want_tp);
  capos_line_kv(&line, "actual", tp);
  capos_line_kv(&line, "align", align);
  capos_line_flush(ring, &line);
  check(ring, 8, "TPPOS", tp - off >= ring - CAPOS_LAYOUT_TLS_AREA_SIZE && tp + CAPOS_LAYOUT_TCB_SIZE <= ring);
  check(ring, 9, "TPALIGN", (tp & (align - 1)) == 0);

  uint64_t fsb = 0;
  capos_status s = capos_get_fs_base(ring, &fsb);
  capos_line_str(&line, "tls-probe: getFsBase status=");
  capos_line_dec(&line, s);
  capos_line_kv(&line, "base", fsb);
  capos_line_flush(ring, &line);
  check(ring, 10, "GETFS", s >= 0 && fsb == tp);

  /* PT_TLS from our own program headers (ELF64 header fields read by offset) */
  uint64_t phoff = *(const uint64_t *)(__ehdr_start + 32);
  uint16_t phentsize = *(const uint16_t *)(__ehdr_start + 54), phnum = *(const uint16_t *)(__ehdr_start + 56);
  ok = 0;
  for (uint16_t i = 0; i < phnum; i++) {
    const uint8_t *ph = __ehdr_start + phoff + (uint64_t)i * phentsize;
    if (*(const uint32_t *)ph != 7 /* PT_TLS */) continue;
    uint64_t vaddr = *(const uint64_t *)(ph + 16), filesz = *(const uint64_t *)(ph + 32),
             memsz = *(const uint64_t *)(ph + 40), palign = *(const uint64_t *)(ph + 48);
    capos_line_str(&line, "tls-probe: PT_TLS");
    capos_line_kv(&line, "vaddr", vaddr);
    capos_line_kv(&line, "filesz", filesz);
    capos_line_kv(&line, "memsz", memsz);
    capos_line_kv(&line, "align", palign);
    capos_line_flush(ring, &line);
    ok = vaddr == (uintptr_t)__tls_image_start && filesz == CAPOS_TLS_FILESZ && memsz == CAPOS_TLS_MEMSZ &&
         palign == CAPOS_TLS_ALIGN;
  }
  check(ring, 11, "PHDR", ok);

  capos_line_str(&line, "tls-probe: done");
  capos_line_kv(&line, "failed", failed);
  capos_line_flush(ring, &line);
  return (int64_t)capos_probe_status(failed);
}
