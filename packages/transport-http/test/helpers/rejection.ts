import assert from "node:assert/strict";
import { PeerError } from "@cachecluster/core";

/** The PeerError `p` rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<PeerError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof PeerError, `expected a PeerError, got ${String(error)}`);
  return error;
}
