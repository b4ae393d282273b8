/*
 * The Cap'n Proto subset the ring needs: framed, unpacked messages whose root is a struct
 * with data fields and byte-list (Data/Text) pointers. Every offset and length read from a
 * message is checked against the message before use (RING-10: hostile params never crash).
 */
#include "native.h"
#include <string.h>

static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

#define MAX_SEGMENTS 512

int capnp_read_root(const uint8_t *buf, uint64_t len, struct capnp_struct *out) {
  if (len < 8) return -1;
  uint64_t nseg = (uint64_t)rd32(buf) + 1;
  if (nseg > MAX_SEGMENTS) return -1;
  uint64_t header = (4 + 4 * nseg + 7) & ~7ull;
  if (header > len) return -1;
  uint64_t total = 0;
  for (uint64_t i = 0; i < nseg; i++) total += rd32(buf + 4 + 4 * i);
  if (total > (len - header) / 8) return -1;
  uint64_t s0 = rd32(buf + 4);
  if (s0 < 1) return -1;
  const uint8_t *seg = buf + header;
  uint64_t root = rd64(seg);
  memset(out, 0, sizeof *out);
  out->seg = seg;
  out->seg_words = s0;
  if (root == 0) return 0; /* null root: every field reads as its default */
  if ((root & 3) != 0) return -1; /* only a struct pointer (no far pointers in one segment) */
  int64_t off = (int32_t)(uint32_t)root >> 2;
  uint32_t dw = (uint32_t)(root >> 32) & 0xffff, pw = (uint32_t)(root >> 48);
  int64_t at = 1 + off;
  if (at < 0 || (uint64_t)at + dw + pw > s0) return -1;
  out->data_at = (uint64_t)at;
  out->data_words = dw;
  out->ptr_words = pw;
  return 0;
}

uint64_t capnp_u64(const struct capnp_struct *s, uint32_t off) {
  if (off + 8 > s->data_words * 8ull) return 0;
  return rd64(s->seg + s->data_at * 8 + off);
}

uint32_t capnp_u32(const struct capnp_struct *s, uint32_t off) {
  if (off + 4 > s->data_words * 8ull) return 0;
  return rd32(s->seg + s->data_at * 8 + off);
}

int capnp_bytes(const struct capnp_struct *s, uint32_t index, const uint8_t **p, uint64_t *n) {
  *p = NULL;
  *n = 0;
  if (index >= s->ptr_words) return 0;
  uint64_t ptr_at = s->data_at + s->data_words + index;
  uint64_t ptr = rd64(s->seg + ptr_at * 8);
  if (ptr == 0) return 0;
  if ((ptr & 3) != 1) return -1;
  if (((ptr >> 32) & 7) != 2) return -1; /* element size must be one byte */
  int64_t off = (int32_t)(uint32_t)ptr >> 2;
  uint64_t count = ptr >> 35;
  int64_t at = (int64_t)ptr_at + 1 + off;
  if (at < 0 || (uint64_t)at > s->seg_words) return -1;
  if (count > (s->seg_words - (uint64_t)at) * 8) return -1;
  *p = s->seg + (uint64_t)at * 8;
  *n = count;
  return 0;
}

static void wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static uint64_t struct_ptr(int32_t off, uint32_t dw, uint32_t pw) {
  return ((uint64_t)((uint32_t)off << 2)) | ((uint64_t)dw << 32) | ((uint64_t)pw << 48);
}

uint32_t capnp_encode_data(uint8_t *buf, uint32_t cap, const uint64_t *words, uint32_t dw) {
  uint32_t seg_words = 1 + dw;
  uint32_t size = 8 + seg_words * 8;
  if (size > cap) return size;
  wr32(buf, 0);
  wr32(buf + 4, seg_words);
  /* A zero-sized struct is encoded with offset -1 so that it is not a null pointer. */
  wr64(buf + 8, struct_ptr(dw == 0 ? -1 : 0, dw, 0));
  for (uint32_t i = 0; i < dw; i++) wr64(buf + 16 + 8 * i, words[i]);
  return size;
}

uint32_t capnp_encode_exception(uint8_t *buf, uint32_t cap, uint16_t type, const char *msg) {
  uint32_t n = (uint32_t)strlen(msg) + 1; /* Text carries its NUL */
  uint32_t text_words = (n + 7) / 8;
  uint32_t seg_words = 1 + CAPOS_CAP_EXCEPTION_DATA_WORDS + 1 + text_words;
  uint32_t size = 8 + seg_words * 8;
  if (size > cap) return size;
  memset(buf, 0, size);
  wr32(buf, 0);
  wr32(buf + 4, seg_words);
  wr64(buf + 8, struct_ptr(0, CAPOS_CAP_EXCEPTION_DATA_WORDS, 1));
  uint8_t *data = buf + 16;
  memcpy(data + CAPOS_CAP_EXCEPTION_TYPE, &type, 2);
  uint8_t *ptr = data + 8 * CAPOS_CAP_EXCEPTION_DATA_WORDS;
  wr64(ptr, 1 | ((uint64_t)2 << 32) | ((uint64_t)n << 35)); /* list, offset 0, bytes */
  memcpy(ptr + 8, msg, n);
  return size;
}
