/**
 * Reads of the GCE metadata server (`/computeMetadata/v1/...`). The default, {@link gcpMetadataApi}, is
 * `gcp-metadata`, loaded on first use; it finds the server through `GCE_METADATA_HOST` (default
 * 169.254.169.254), a process-wide setting.
 */
export interface MetadataApi {
  /** `project/<path>`, e.g. `project-id`. */
  project(path: string): Promise<unknown>;
  /** `instance/<path>`, e.g. `zone`, `name`, `network-interfaces/0/ip`. */
  instance(path: string): Promise<unknown>;
}

export const gcpMetadataApi: MetadataApi = {
  async project(path) {
    const gcp = await import("gcp-metadata");
    return gcp.project<unknown>(path);
  },
  async instance(path) {
    const gcp = await import("gcp-metadata");
    return gcp.instance<unknown>(path);
  },
};
