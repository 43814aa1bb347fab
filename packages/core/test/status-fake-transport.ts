import { LoopbackHttpTransport } from "@cachecluster/testing/loopback-transport";
import { ContainerModule } from "inversify";
import { TransportToken } from "../src/index.js";

/** Core cannot depend on transport-http: its tests run real clusters on the test kit's loopback transport. */
export { LoopbackHttpTransport as FakeHttpTransport };

export function fakeHttpTransport(transport = new LoopbackHttpTransport()): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TransportToken).toConstantValue(transport);
  });
}
