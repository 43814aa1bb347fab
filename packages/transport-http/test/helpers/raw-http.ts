import { request as httpRequest } from "node:http";
import { connect } from "node:net";

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Sends raw bytes on a fresh connection and parses one HTTP/1.1 response (Content-Length or close-delimited). */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("raw request timed out"));
    }, timeoutMs);
    const tryParse = (final: boolean): boolean => {
      const data = Buffer.concat(chunks);
      const end = data.indexOf("\r\n\r\n");
      if (end < 0) return false;
      const lines = data.subarray(0, end).toString("latin1").split("\r\n");
      const status = Number(lines[0]?.split(" ")[1]);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(":");
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const body = data.subarray(end + 4);
      const length = headers["content-length"];
      if (length !== undefined && body.length >= Number(length)) {
        resolve({ status, headers, body: body.subarray(0, Number(length)) });
        return true;
      }
      if (final) {
        resolve({ status, headers, body });
        return true;
      }
      return false;
    };
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (tryParse(false)) {
        clearTimeout(timer);
        socket.destroy();
      }
    });
    socket.on("end", () => {
      clearTimeout(timer);
      if (!tryParse(true)) reject(new Error(`connection closed before a response: ${Buffer.concat(chunks).toString("latin1")}`));
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(request);
  });
}

export interface HttpReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** One request with node:http on a fresh connection (no agent); resolves with the status, headers and whole body. */
export function sendRequest(port: number, path: string, method = "GET", body?: Uint8Array, headers: Record<string, string> = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
