// Child process run inside a network namespace (`ip netns exec NS node netns-listener.js HOST PORT`): opens a
// listening TCP socket there and hands it to the parent over IPC, then exits. The parent serves on it from its
// own namespace: the socket stays in the namespace it was created in.
import { createServer } from "node:net";

const [host, port] = process.argv.slice(2);
const server = createServer();
server.once("error", (error) => {
  process.send?.({ ok: false, error: error.message }, () => process.exit(1));
});
server.listen({ host, port: Number(port), exclusive: true }, () => {
  process.send?.({ ok: true }, server, () => process.exit(0));
});
