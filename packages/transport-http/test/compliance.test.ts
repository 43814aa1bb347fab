import { describe } from "node:test";
import { transportCompliance } from "@cachecluster/testing/compliance/transport";
import { HttpTransport } from "../src/index.js";

describe("over HTTP only (stream: false), as with Go peers", () => {
  transportCompliance(async () => ({ transport: new HttpTransport({ timeout: 2000, closeTimeout: 500, stream: false }) }));
});

describe("over the peer stream, once it is open", () => {
  transportCompliance(async () => {
    const transport = new HttpTransport({ timeout: 2000, closeTimeout: 500 });
    return {
      transport,
      warmUp: async (url) => {
        await transport.client.fetch(url, "g", "warm-up");
        for (let i = 0; i < 200 && transport.stats().clientStreams !== 1; i++) await new Promise((r) => setTimeout(r, 5));
        if (transport.stats().clientStreams !== 1) throw new Error("the peer stream did not open within 1 s");
      },
    };
  });
});
