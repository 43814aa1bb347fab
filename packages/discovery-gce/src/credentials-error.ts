/**
 * The Google client found no credentials. Thrown where `@google-cloud/compute` runs (possibly a worker thread,
 * which does not load `@cachecluster/core`); `classifyError` turns it into a `DiscoveryError` of kind `auth`.
 */
export class CredentialsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CredentialsError";
  }
}
