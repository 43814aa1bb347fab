import { LoopbackHttpTransport } from "./helpers/loopback-transport.js";
import { ContainerModule } from "inversify";
import { TransportToken } from "../src/index.js";

/** Core cannot depend on transport-http: its tests run real clusters on a small loopback transport of their own. */
export { LoopbackHttpTransport as FakeHttpTransport };

export function fakeHttpTransport(transport = new LoopbackHttpTransport()): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TransportToken).toConstantValue(transport);
  });
}
