const NO_RESIDENTS = new Int32Array(0);

/** One buffer that entries' bytes (key, then value) are appended to, and the slots whose bytes went there. */
export class Slab {
  readonly id: number;
  /** Size class (index into the arena's classes), or -1 for a buffer of one entry's own. */
  readonly sizeClass: number;
  readonly bytes: Uint8Array;
  /** Bytes appended so far (the next region goes here). */
  used = 0;
  /** Bytes of regions still in use. */
  live = 0;
  /**
   * Whether a view of this slab was handed out. Bytes that were handed out are never written again, so an
   * exposed slab is only ever appended to, and dropped (to the GC) when empty; a slab never exposed is
   * reused from its start when empty.
   */
  exposed = false;
  /**
   * Slots appended here, in order; some may have been removed since (the entry table says which are still
   * here). Not kept for a buffer of one entry's own, which is never copied.
   */
  residents: Int32Array;
  count = 0;

  constructor(id: number, sizeClass: number, size: number, residents: number) {
    this.id = id;
    this.sizeClass = sizeClass;
    // Only regions written since are ever read or exposed, so the slab need not be zeroed.
    this.bytes = Buffer.allocUnsafeSlow(size);
    this.residents = residents > 0 ? new Int32Array(residents) : NO_RESIDENTS;
  }

  addResident(slot: number): void {
    if (this.count === this.residents.length) {
      const grown = new Int32Array(this.residents.length * 2);
      grown.set(this.residents);
      this.residents = grown;
    }
    this.residents[this.count++] = slot;
  }

  /** Makes an empty, never exposed slab new again. */
  reset(): void {
    this.used = this.live = this.count = 0;
  }
}
