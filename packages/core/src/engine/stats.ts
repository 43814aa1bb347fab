/** Counters of one group, named as golang/groupcache's `Stats` (camelCase). */
export interface GroupStats {
  /** Every get request, including from peers. */
  gets: number;
  /** Served from the main or hot cache. */
  cacheHits: number;
  /** Values fetched from the owning peer. */
  peerLoads: number;
  /** Failed peer fetches (followed by a local load). */
  peerErrors: number;
  /** Gets that missed the caches (before singleflight). */
  loads: number;
  /** Loads after singleflight: the actual executions. (golang's name; it counts the de-duplicated loads.) */
  loadsDeduped: number;
  /** Successful loads by this node's loader. */
  localLoads: number;
  /** Failed loads by this node's loader. */
  localLoadErrs: number;
  /** Gets that came from peers over the network. */
  serverRequests: number;
  /** `getMany` calls (each of their keys also counts in `gets` and the counters after it). */
  batchGets: number;
  /** Batched fetches sent to owners by `getMany`: one per owning peer and call (`peerLoads` counts their keys). */
  peerBatches: number;
}

export function emptyGroupStats(): GroupStats {
  return {
    gets: 0,
    cacheHits: 0,
    peerLoads: 0,
    peerErrors: 0,
    loads: 0,
    loadsDeduped: 0,
    localLoads: 0,
    localLoadErrs: 0,
    serverRequests: 0,
    batchGets: 0,
    peerBatches: 0,
  };
}
