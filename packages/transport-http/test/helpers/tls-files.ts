import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TlsFiles {
  readonly dir: string;
  readonly ca: string;
  /** Server (and member client) certificate for 127.0.0.1 and localhost, signed by `ca`. */
  readonly cert: string;
  readonly key: string;
  /** A certificate for 127.0.0.1 signed by another CA (an outsider's). */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

const openssl = (dir: string, ...args: string[]): void => void execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });

function signedCert(dir: string, name: string, caName: string): void {
  openssl(
    dir,
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${name}`,
  );
  writeFileSync(join(dir, `${name}.ext`), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${caName}.pem`,
    "-CAkey",
    `${caName}.key`,
    "-CAcreateserial",
    "-days",
    "2",
    "-out",
    `${name}.pem`,
    "-extfile",
    `${name}.ext`,
  );
}

function ca(dir: string, name: string): void {
  openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
  );
}

/** A throwaway CA, a member certificate it signs, and a stranger's certificate from another CA (openssl, P-256). */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), "cachecluster-tls-"));
  ca(dir, "ca");
  ca(dir, "other-ca");
  signedCert(dir, "member", "ca");
  signedCert(dir, "stranger", "other-ca");
  const at = (f: string): string => join(dir, f);
  return { dir, ca: at("ca.pem"), cert: at("member.pem"), key: at("member.key"), strangerCert: at("stranger.pem"), strangerKey: at("stranger.key") };
}
