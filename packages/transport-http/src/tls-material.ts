import { readFileSync } from "node:fs";
import { ConfigError, describeError } from "@cachecluster/core";
import type { TlsOptions } from "./options.js";

/** The PEM contents of `tls` options, read once when the transport is made. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
  readonly clientAuth: boolean;
}

/** Reads the PEM files named by `tls`; a file that cannot be read is a `ConfigError` naming the option and path. */
export function readTlsMaterial(tls: TlsOptions | undefined): TlsMaterial | undefined {
  if (tls === undefined) return undefined;
  const problems: string[] = [];
  const read = (what: string, path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      const pem = readFileSync(path);
      if (!pem.includes("-----BEGIN ")) problems.push(`httpTransport options.tls.${what}: ${path} is not a PEM file`);
      return pem;
    } catch (error) {
      problems.push(`httpTransport options.tls.${what}: cannot read ${path}: ${describeError(error)}`);
      return undefined;
    }
  };
  const cert = read("cert", tls.cert);
  const key = read("key", tls.key);
  const ca = read("ca", tls.ca);
  if (problems.length > 0 || cert === undefined || key === undefined) throw new ConfigError(problems);
  return { cert, key, ca, clientAuth: tls.clientAuth };
}
