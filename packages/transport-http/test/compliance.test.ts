import { transportCompliance } from "@cachecluster/testing/compliance/transport";
import { HttpTransport } from "../src/index.js";

transportCompliance(async () => ({ transport: new HttpTransport({ timeout: 2000, closeTimeout: 500 }) }));
