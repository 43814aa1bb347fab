import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CHAIN, EntryTable, HASH, STRIDE } from "../src/cache/entry-table.js";
import { KeyIndex } from "../src/cache/key-index.js";

describe("KeyIndex", () => {
  it("chains every slot of a hash from its bucket, through any inserts and removes, growth and colliding hashes", () => {
    const op = fc.oneof(fc.record({ insert: fc.integer({ min: 0, max: 7 }) }), fc.record({ remove: fc.nat() }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const table = new EntryTable(4);
        const index = new KeyIndex(table);
        // Few distinct hashes, spread over high bits too, so chains are long and buckets collide.
        const hashOf = (n: number): number => (n * 0x9e3779b1) | 0;
        const live = new Map<number, number>();
        for (const o of ops) {
          if ("insert" in o) {
            const slot = table.allocate();
            table.ints[slot * STRIDE + HASH] = hashOf(o.insert);
            index.insert(slot);
            live.set(slot, hashOf(o.insert));
          } else if (live.size > 0) {
            const slot = [...live.keys()][o.remove % live.size]!;
            index.remove(slot);
            table.release(slot);
            live.delete(slot);
          }
        }
        assert.deepEqual(new Set(index.slots()), new Set(live.keys()));
        for (const [slot, hash] of live) {
          const chain: number[] = [];
          for (let at = index.first(hash); at >= 0; at = table.ints[at * STRIDE + CHAIN]!) chain.push(at);
          assert.ok(chain.includes(slot), `slot ${slot} is found from its hash`);
        }
      }),
    );
  });

  it("refuses to remove a slot it does not hold", () => {
    const table = new EntryTable();
    const index = new KeyIndex(table);
    const slot = table.allocate();
    assert.throws(() => index.remove(slot), /slot 0 is not indexed/);
  });
});
