/**
 * Process-wide counts of work the CPU layer did, for the bench (per-run figures: how much a
 * process decodes and copies when it starts from a template) and for tests that must see a fast
 * path taken. Plain counters on one object: an increment costs a load and a store.
 */
export const cpuStats = {
  /** Instructions decoded (decode caches that hit are not counted). */
  decoded: 0,
  /** Pages copied on their first write or re-protection (template pages and fresh zero pages). */
  pagesCopied: 0,
  /** Skips of counted loops in closed form, and the instructions they retired (counted-loop.ts). */
  closedFormSkips: 0,
  closedFormInsns: 0,
};
