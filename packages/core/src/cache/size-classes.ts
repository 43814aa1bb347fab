/** Size of the smallest slabs. */
export const SLAB_BYTES = 32 * 1024;
/**
 * Slab sizes: 32 KiB, 512 KiB and 8 MiB. A class holds entries (key + value) of up to 1/16 of its slab, so the
 * unused tail of a full slab is at most 1/16 of it; a larger entry gets a buffer of its own.
 */
export const SLAB_CLASS_BYTES: readonly number[] = [SLAB_BYTES, SLAB_BYTES * 16, SLAB_BYTES * 256];
/** Largest entry (key + value bytes) kept in the smallest slabs. */
export const SLAB_VALUE_LIMIT = SLAB_BYTES / 16;
/** Largest entry any slab holds. */
export const LARGEST_SLAB_ENTRY = SLAB_CLASS_BYTES[SLAB_CLASS_BYTES.length - 1]! / 16;
/**
 * A class is used only when its slab is at most this share of the byte budget: a class holds up to about three
 * slabs beyond its entries' bytes (the one being filled and the compaction slack), which must stay small next
 * to the budget. With the default 64 MiB budget, entries up to 32 KiB go into slabs.
 */
export const SLAB_BUDGET_SHARE = 1 / 32;

/** The classes to use for a budget: how many of SLAB_CLASS_BYTES (the smallest always). */
export function classesFor(maxBytes: number): number {
  let n = 1;
  while (n < SLAB_CLASS_BYTES.length && SLAB_CLASS_BYTES[n]! <= maxBytes * SLAB_BUDGET_SHARE) n++;
  return n;
}

/** The class of an entry of `length` bytes among the first `classes`, or -1 for a buffer of its own. */
export function classOf(length: number, classes: number): number {
  for (let c = 0; c < classes; c++) if (length <= SLAB_CLASS_BYTES[c]! / 16) return c;
  return -1;
}
