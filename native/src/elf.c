/*
 * The loader: validates a static capOS ELF (ELFX-1), maps its PT_LOADs at their addresses
 * with exactly their permissions (PROC-5), and builds the process: stack (PROCX-1), ring page
 * (RING-1, RING-4), read-only CapSet page (PROC-3, PROCX-3) and the initial thread's
 * Variant II TLS block with its self-pointer (TLSV2-1..8). Mappings use MAP_FIXED_NOREPLACE:
 * a clash with the runner is an error, never a silent overwrite.
 */
#include "native.h"
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define REJECT(...) do { snprintf(why, whylen, __VA_ARGS__); return -1; } while (0)

static int map_fixed(uint64_t start, uint64_t end, int prot) {
  void *p = mmap((void *)start, end - start, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED) return -1;
  if ((uint64_t)p != start) {
    munmap(p, end - start);
    return -1;
  }
  return 0;
}

static uint32_t elf_to_vm_prot(uint32_t f) {
  uint32_t p = 0;
  if (f & PF_R) p |= CAPOS_PROT_READ;
  if (f & PF_W) p |= CAPOS_PROT_WRITE;
  if (f & PF_X) p |= CAPOS_PROT_EXEC;
  return p;
}

int ring_map(uint64_t addr) {
  if (map_fixed(addr, addr + PAGE, PROT_READ | PROT_WRITE) != 0) return -1;
  uint8_t *r = (uint8_t *)addr;
  capos_ring_hdr_set_sq_mask(r, CAPOS_RING_SQ_ENTRIES - 1);
  capos_ring_hdr_set_cq_mask(r, CAPOS_RING_CQ_ENTRIES - 1);
  capos_ring_hdr_set_sq_entries(r, CAPOS_RING_SQ_ENTRIES);
  capos_ring_hdr_set_cq_entries(r, CAPOS_RING_CQ_ENTRIES);
  mem_add_fixed(addr, addr + PAGE, CAPOS_PROT_READ | CAPOS_PROT_WRITE);
  return 0;
}

static const struct { const char *name; uint64_t iid; } GRANTS[CAPOS_GRANT_COUNT] = {
  [CAPOS_GRANT_SLOT_CONSOLE] = {"Console", CAPOS_IID_CONSOLE},
  [CAPOS_GRANT_SLOT_VIRTUAL_MEMORY] = {"VirtualMemory", CAPOS_IID_VIRTUAL_MEMORY},
  [CAPOS_GRANT_SLOT_PARK_SPACE] = {"ParkSpace", CAPOS_IID_PARK_SPACE},
  [CAPOS_GRANT_SLOT_THREAD_SPAWNER] = {"ThreadSpawner", CAPOS_IID_THREAD_SPAWNER},
  [CAPOS_GRANT_SLOT_THREAD_CONTROL] = {"ThreadControl", CAPOS_IID_THREAD_CONTROL},
  [CAPOS_GRANT_SLOT_TIMER] = {"Timer", CAPOS_IID_TIMER},
};

static int capset_map(void) {
  uint64_t a = CAPOS_LAYOUT_CAP_SET_VADDR;
  if (map_fixed(a, a + PAGE, PROT_READ | PROT_WRITE) != 0) return -1;
  uint8_t *p = (uint8_t *)a;
  uint32_t magic = CAPOS_CAPSET_MAGIC;
  uint16_t version = CAPOS_CAPSET_VERSION, count = CAPOS_GRANT_COUNT;
  memcpy(p + CAPOS_CAPSET_HDR_MAGIC, &magic, 4);
  memcpy(p + CAPOS_CAPSET_HDR_VERSION, &version, 2);
  memcpy(p + CAPOS_CAPSET_HDR_COUNT, &count, 2);
  for (int i = 0; i < CAPOS_GRANT_COUNT; i++) {
    uint8_t *e = p + CAPOS_CAPSET_HEADER_SIZE + i * CAPOS_CAPSET_ENTRY_SIZE;
    uint32_t id = (CAPOS_CAPID_FIRST_GENERATION << CAPOS_CAPID_GENERATION_SHIFT) | (uint32_t)i;
    memcpy(e + CAPOS_CAPSET_ENTRY_CAP_ID, &id, 4);
    memcpy(e + CAPOS_CAPSET_ENTRY_INTERFACE_ID, &GRANTS[i].iid, 8);
    strncpy((char *)e + CAPOS_CAPSET_ENTRY_NAME, GRANTS[i].name, CAPOS_CAPSET_NAME_LENGTH);
  }
  if (mprotect(p, PAGE, PROT_READ) != 0) return -1;
  mem_add_fixed(a, a + PAGE, CAPOS_PROT_READ);
  return 0;
}

/* TLSV2-2: the smallest offset >= memsz with (-offset) mod align == vaddr mod align. */
static uint64_t tls_offset(uint64_t vaddr, uint64_t memsz, uint64_t align) {
  uint64_t want = (align - vaddr % align) % align; /* offset mod align */
  return memsz + ((want + align - memsz % align) % align);
}

int elf_load(const uint8_t *img, uint64_t size, struct loaded *out, char *why, size_t whylen) {
  if (size < sizeof(Elf64_Ehdr)) REJECT("truncated ELF header");
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) REJECT("bad ELF magic");
  if (eh->e_ident[EI_CLASS] != ELFCLASS64) REJECT("not ELF64");
  if (eh->e_ident[EI_DATA] != ELFDATA2LSB) REJECT("not little-endian");
  if (eh->e_type != ET_EXEC) REJECT("not ET_EXEC");
  if (eh->e_machine != EM_X86_64) REJECT("not x86-64");
  if (eh->e_phentsize != sizeof(Elf64_Phdr)) REJECT("bad e_phentsize");
  if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff) REJECT("program headers outside the file");
  const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff);
  const Elf64_Phdr *tls = NULL;
  for (int i = 0; i < eh->e_phnum; i++) {
    const Elf64_Phdr *p = &ph[i];
    if (p->p_type == PT_TLS) {
      if (tls) REJECT("two PT_TLS");
      tls = p;
    }
    if (p->p_type != PT_LOAD) continue;
    if (p->p_filesz > p->p_memsz) REJECT("PT_LOAD %d: p_filesz > p_memsz", i);
    if (p->p_offset > size || p->p_filesz > size - p->p_offset) REJECT("PT_LOAD %d: file range outside the file", i);
    if (p->p_vaddr < PAGE || p->p_vaddr + p->p_memsz < p->p_vaddr || p->p_vaddr + p->p_memsz > CAPOS_LAYOUT_USER_STACK_BASE)
      REJECT("PT_LOAD %d: outside [page size, USER_STACK_BASE)", i);
    for (int j = 0; j < i; j++) {
      const Elf64_Phdr *q = &ph[j];
      if (q->p_type != PT_LOAD) continue;
      if (p->p_vaddr < q->p_vaddr + q->p_memsz && q->p_vaddr < p->p_vaddr + p->p_memsz) REJECT("PT_LOADs %d and %d overlap", j, i);
    }
  }
  uint64_t align = 1;
  if (tls) {
    align = tls->p_align ? tls->p_align : 1;
    if (align & (align - 1)) REJECT("PT_TLS alignment is not a power of two");
    if (align > PAGE) REJECT("PT_TLS alignment exceeds a page");
    if (tls->p_filesz > tls->p_memsz) REJECT("PT_TLS p_filesz > p_memsz");
    if (tls->p_offset > size || tls->p_filesz > size - tls->p_offset) REJECT("PT_TLS outside the file");
    int inside = 0;
    for (int i = 0; i < eh->e_phnum; i++) {
      const Elf64_Phdr *p = &ph[i];
      if (p->p_type == PT_LOAD && tls->p_vaddr >= p->p_vaddr && tls->p_vaddr + tls->p_filesz >= tls->p_vaddr &&
          tls->p_vaddr + tls->p_filesz <= p->p_vaddr + p->p_memsz)
        inside = 1;
    }
    if (!inside) REJECT("PT_TLS does not lie inside a PT_LOAD");
  }
  /* TLSV2-7: TP = alignDown(ring - tcb, max(p_align, tpMinAlign)); block + TCB in the area. */
  uint64_t tp_align = align > CAPOS_LAYOUT_TP_MIN_ALIGN ? align : CAPOS_LAYOUT_TP_MIN_ALIGN;
  uint64_t tp = (CAPOS_LAYOUT_RING_VADDR - CAPOS_LAYOUT_TCB_SIZE) & ~(tp_align - 1);
  uint64_t off = tls ? tls_offset(tls->p_vaddr, tls->p_memsz, align) : 0;
  uint64_t area = CAPOS_LAYOUT_RING_VADDR - CAPOS_LAYOUT_TLS_AREA_SIZE;
  if (off > tp || tp - off < area) REJECT("TLS block does not fit the TLS area");

  /* Map the image: every page gets the union of the permissions of the segments on it
   * (segments may share a page without overlapping). */
  static uint8_t used[CAPOS_LAYOUT_USER_STACK_BASE / PAGE];
  memset(used, 0, sizeof used);
  for (int i = 0; i < eh->e_phnum; i++) {
    const Elf64_Phdr *p = &ph[i];
    if (p->p_type != PT_LOAD || p->p_memsz == 0) continue;
    uint64_t s = p->p_vaddr & ~(uint64_t)(PAGE - 1), e = (p->p_vaddr + p->p_memsz + PAGE - 1) & ~(uint64_t)(PAGE - 1);
    for (uint64_t a = s; a < e; a += PAGE) {
      if (used[a / PAGE]) continue;
      if (map_fixed(a, a + PAGE, PROT_READ | PROT_WRITE) != 0) REJECT("cannot map image page 0x%lx (address in use)", a);
      used[a / PAGE] = 1;
    }
  }
  for (int i = 0; i < eh->e_phnum; i++) {
    const Elf64_Phdr *p = &ph[i];
    if (p->p_type == PT_LOAD) memcpy((void *)p->p_vaddr, img + p->p_offset, p->p_filesz);
  }
  for (uint64_t pg = 0; pg < sizeof used; pg++) {
    if (!used[pg]) continue;
    uint64_t a = pg * PAGE;
    uint32_t prot = 0;
    for (int j = 0; j < eh->e_phnum; j++) {
      const Elf64_Phdr *q = &ph[j];
      if (q->p_type == PT_LOAD && q->p_memsz && q->p_vaddr < a + PAGE && a < q->p_vaddr + q->p_memsz) prot |= elf_to_vm_prot(q->p_flags);
    }
    mem_add_fixed(a, a + PAGE, prot);
    mprotect((void *)a, PAGE, host_prot(prot));
  }

  /* Stack (PROCX-1). */
  uint64_t st = CAPOS_LAYOUT_USER_STACK_BASE, se = st + CAPOS_LAYOUT_USER_STACK_SIZE;
  if (map_fixed(st, se, PROT_READ | PROT_WRITE) != 0) REJECT("cannot map the stack (address in use)");
  mem_add_fixed(st, se, CAPOS_PROT_READ | CAPOS_PROT_WRITE);

  /* TLS block and TCB of the initial thread. */
  uint64_t blk = tp - off;
  uint64_t ts = blk & ~(uint64_t)(PAGE - 1), te = (tp + CAPOS_LAYOUT_TCB_SIZE + PAGE - 1) & ~(uint64_t)(PAGE - 1);
  if (map_fixed(ts, te, PROT_READ | PROT_WRITE) != 0) REJECT("cannot map the TLS area (address in use)");
  mem_add_fixed(ts, te, CAPOS_PROT_READ | CAPOS_PROT_WRITE);
  if (tls) memcpy((void *)blk, img + tls->p_offset, tls->p_filesz);
  memcpy((void *)tp, &tp, 8); /* TLSV2-1 self-pointer */

  if (ring_map(CAPOS_LAYOUT_RING_VADDR) != 0) REJECT("cannot map the ring page (address in use)");
  if (capset_map() != 0) REJECT("cannot map the CapSet page (address in use)");
  out->entry = eh->e_entry;
  out->tp = tp;
  return 0;
}
