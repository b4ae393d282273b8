/*
 * The guest's memory map: fixed regions placed by the loader, and the VirtualMemory window
 * (VMX-1..7, GO-2..6, VM-3) over mmap/mprotect/madvise. The runner validates every guest
 * buffer against this map, never against the host's own mappings (RING-12).
 * All functions run under the kernel lock (or before any guest thread starts).
 */
#include "native.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct region {
  uint64_t start, end; /* page aligned, [start, end) */
  uint32_t prot;       /* guest VM_PROT bits */
  uint8_t committed;   /* window regions: 0 = reserved only */
  uint64_t gen;        /* page generation for park keys (PARKX-7) */
};

struct region_list {
  struct region *r;
  size_t n, cap;
};

static struct region_list fixed, window;
static uint64_t reserved_pages, committed_pages, next_gen = 1;

static void list_insert(struct region_list *l, size_t at, struct region r) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->r = realloc(l->r, l->cap * sizeof *l->r);
    if (!l->r) process_end(ST_BUDGET);
  }
  memmove(&l->r[at + 1], &l->r[at], (l->n - at) * sizeof *l->r);
  l->r[at] = r;
  l->n++;
}

static void list_remove(struct region_list *l, size_t at, size_t count) {
  memmove(&l->r[at], &l->r[at + count], (l->n - at - count) * sizeof *l->r);
  l->n -= count;
}

/* First region whose end is above addr. */
static size_t list_find(const struct region_list *l, uint64_t addr) {
  size_t lo = 0, hi = l->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (l->r[mid].end <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Make addr a region boundary. */
static void list_split(struct region_list *l, uint64_t addr) {
  size_t i = list_find(l, addr);
  if (i < l->n && l->r[i].start < addr) {
    struct region tail = l->r[i];
    tail.start = addr;
    l->r[i].end = addr;
    list_insert(l, i + 1, tail);
  }
}

/* Remove [start, end) from the fixed regions; returns where a region for it would go. */
static size_t fixed_cut(uint64_t start, uint64_t end) {
  list_split(&fixed, start);
  list_split(&fixed, end);
  size_t i = list_find(&fixed, start);
  size_t j = i;
  while (j < fixed.n && fixed.r[j].start < end) j++;
  list_remove(&fixed, i, j - i);
  return i;
}

int mem_add_fixed(uint64_t start, uint64_t end, uint32_t prot) {
  list_insert(&fixed, fixed_cut(start, end), (struct region){start, end, prot, 1, 0});
  return 0;
}

void mem_remove_fixed(uint64_t start, uint64_t end) { (void)fixed_cut(start, end); }

static const struct region *lookup(uint64_t addr) {
  size_t i = list_find(&fixed, addr);
  if (i < fixed.n && fixed.r[i].start <= addr) return &fixed.r[i];
  i = list_find(&window, addr);
  if (i < window.n && window.r[i].start <= addr) return &window.r[i];
  return NULL;
}

static int allows(const struct region *r, int acc) {
  if (!r->committed || r->prot == CAPOS_PROT_NONE) return 0;
  if ((acc & ACC_WRITE) && !(r->prot & CAPOS_PROT_WRITE)) return 0;
  return 1;
}

int mem_ok(uint64_t addr, uint64_t len, int acc) {
  if (len == 0) return 1;
  if (addr + len < addr || addr + len > CAPOS_LAYOUT_USER_ADDRESS_LIMIT) return 0;
  uint64_t cur = addr, end = addr + len;
  while (cur < end) {
    const struct region *r = lookup(cur);
    if (!r || !allows(r, acc)) return 0;
    cur = r->end;
  }
  return 1;
}

uint64_t mem_generation(uint64_t addr) {
  const struct region *r = lookup(addr);
  return r ? r->gen : 0;
}

int host_prot(uint32_t prot) {
  if (prot == CAPOS_PROT_NONE) return PROT_NONE;
  int p = PROT_READ;
  if (prot & CAPOS_PROT_WRITE) p |= PROT_WRITE;
  if (prot & CAPOS_PROT_EXEC) p |= PROT_EXEC;
  return p;
}

/* ---- VirtualMemory ---- */

static int range_ok(uint64_t addr, uint64_t size) {
  if (size == 0 || size % PAGE || addr % PAGE) return 0;
  if (addr < CAPOS_LAYOUT_VM_WINDOW_BASE || addr + size < addr || addr + size > CAPOS_LAYOUT_VM_WINDOW_END) return 0;
  return 1;
}

static int prot_ok(uint32_t prot) { return (prot & ~(uint32_t)(CAPOS_PROT_READ | CAPOS_PROT_WRITE | CAPOS_PROT_EXEC)) == 0; }

/* Pages of [a, b) that are in some window region, and of those the committed ones. */
static void count_pages(uint64_t a, uint64_t b, uint64_t *mapped, uint64_t *committed, int *all_mapped, int *all_committed) {
  uint64_t m = 0, c = 0;
  for (size_t i = list_find(&window, a); i < window.n && window.r[i].start < b; i++) {
    uint64_t s = window.r[i].start > a ? window.r[i].start : a;
    uint64_t e = window.r[i].end < b ? window.r[i].end : b;
    m += (e - s) / PAGE;
    if (window.r[i].committed) c += (e - s) / PAGE;
  }
  if (mapped) *mapped = m;
  if (committed) *committed = c;
  if (all_mapped) *all_mapped = m == (b - a) / PAGE;
  if (all_committed) *all_committed = c == (b - a) / PAGE;
}

static int range_free(uint64_t a, uint64_t b) {
  size_t i = list_find(&window, a);
  return !(i < window.n && window.r[i].start < b);
}

/* VMX-2: the hint if usable, else the lowest free page-aligned range (first fit). */
static int place(uint64_t hint, uint64_t size, uint64_t *out) {
  if (hint % PAGE == 0 && hint >= CAPOS_LAYOUT_VM_WINDOW_BASE && hint + size >= hint &&
      hint + size <= CAPOS_LAYOUT_VM_WINDOW_END && range_free(hint, hint + size)) {
    *out = hint;
    return 0;
  }
  uint64_t cand = CAPOS_LAYOUT_VM_WINDOW_BASE;
  for (size_t i = 0; i < window.n; i++) {
    if (window.r[i].start >= cand && window.r[i].start - cand >= size) break;
    if (window.r[i].end > cand) cand = window.r[i].end;
  }
  if (cand > CAPOS_LAYOUT_VM_WINDOW_END || CAPOS_LAYOUT_VM_WINDOW_END - cand < size) return -1;
  *out = cand;
  return 0;
}

int vm_map(uint64_t hint, uint64_t size, uint32_t prot, int commit, uint64_t *out) {
  if (size == 0 || size % PAGE) return CAPOS_EXC_INVALID_ARGUMENT;
  if (commit && !prot_ok(prot)) return CAPOS_EXC_INVALID_ARGUMENT;
  uint64_t pages = size / PAGE;
  if (pages > CAPOS_VM_RESERVED_PAGE_QUOTA - reserved_pages) return CAPOS_EXC_OVERLOADED;
  if (commit && pages > CAPOS_VM_COMMITTED_PAGE_QUOTA - committed_pages) return CAPOS_EXC_OVERLOADED;
  uint64_t addr;
  if (place(hint, size, &addr) != 0) return CAPOS_EXC_OVERLOADED;
  void *p = mmap((void *)addr, size, commit ? host_prot(prot) : PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED || (uint64_t)p != addr) {
    if (p != MAP_FAILED) munmap(p, size);
    return CAPOS_EXC_OVERLOADED;
  }
  list_insert(&window, list_find(&window, addr), (struct region){addr, addr + size, commit ? prot : 0, (uint8_t)(commit != 0), next_gen++});
  reserved_pages += pages;
  if (commit) committed_pages += pages;
  *out = addr;
  return 0;
}

/* Give [a, b) a fresh generation (after a drain): UNPARK can never reach older waiters. */
static void new_generation(uint64_t a, uint64_t b) {
  for (size_t i = list_find(&window, a); i < window.n && window.r[i].start < b; i++) window.r[i].gen = next_gen++;
}

int vm_unmap(uint64_t addr, uint64_t size) {
  if (!range_ok(addr, size)) return CAPOS_EXC_INVALID_ARGUMENT;
  uint64_t end = addr + size;
  list_split(&window, addr);
  list_split(&window, end);
  size_t i = list_find(&window, addr), j = i;
  while (j < window.n && window.r[j].start < end) {
    struct region *r = &window.r[j];
    munmap((void *)r->start, r->end - r->start);
    reserved_pages -= (r->end - r->start) / PAGE;
    if (r->committed) committed_pages -= (r->end - r->start) / PAGE;
    j++;
  }
  list_remove(&window, i, j - i);
  park_drain(addr, end);
  return 0;
}

int vm_protect(uint64_t addr, uint64_t size, uint32_t prot) {
  if (!range_ok(addr, size) || !prot_ok(prot)) return CAPOS_EXC_INVALID_ARGUMENT;
  uint64_t end = addr + size;
  int all_committed;
  count_pages(addr, end, NULL, NULL, NULL, &all_committed);
  if (!all_committed) return CAPOS_EXC_INVALID_ARGUMENT;
  if (mprotect((void *)addr, size, host_prot(prot)) != 0) return CAPOS_EXC_FAILED;
  list_split(&window, addr);
  list_split(&window, end);
  for (size_t i = list_find(&window, addr); i < window.n && window.r[i].start < end; i++) window.r[i].prot = prot;
  return 0;
}

int vm_commit(uint64_t addr, uint64_t size, uint32_t prot) {
  if (!range_ok(addr, size) || !prot_ok(prot)) return CAPOS_EXC_INVALID_ARGUMENT;
  uint64_t end = addr + size, committed;
  int all_mapped;
  count_pages(addr, end, NULL, &committed, &all_mapped, NULL);
  if (!all_mapped) return CAPOS_EXC_INVALID_ARGUMENT;
  uint64_t fresh = size / PAGE - committed;
  if (fresh > CAPOS_VM_COMMITTED_PAGE_QUOTA - committed_pages) return CAPOS_EXC_OVERLOADED;
  /* Reserved pages are zero on the host: never touched, or dropped by decommit. */
  if (mprotect((void *)addr, size, host_prot(prot)) != 0) return CAPOS_EXC_FAILED;
  list_split(&window, addr);
  list_split(&window, end);
  for (size_t i = list_find(&window, addr); i < window.n && window.r[i].start < end; i++) {
    window.r[i].prot = prot;
    window.r[i].committed = 1;
  }
  committed_pages += fresh;
  return 0;
}

int vm_decommit(uint64_t addr, uint64_t size) {
  if (!range_ok(addr, size)) return CAPOS_EXC_INVALID_ARGUMENT;
  uint64_t end = addr + size, committed;
  int all_mapped;
  count_pages(addr, end, NULL, &committed, &all_mapped, NULL);
  if (!all_mapped) return CAPOS_EXC_INVALID_ARGUMENT;
  madvise((void *)addr, size, MADV_DONTNEED);
  mprotect((void *)addr, size, PROT_NONE);
  list_split(&window, addr);
  list_split(&window, end);
  for (size_t i = list_find(&window, addr); i < window.n && window.r[i].start < end; i++) {
    window.r[i].prot = 0;
    window.r[i].committed = 0;
  }
  committed_pages -= committed;
  park_drain(addr, end);
  new_generation(addr, end);
  return 0;
}
