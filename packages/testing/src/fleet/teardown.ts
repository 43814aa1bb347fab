// Teardown on every way out of the process: normal exit, an uncaught error, SIGINT, SIGTERM. Each live fleet
// registers a synchronous cleanup (kill its processes, delete its namespaces and files) that runs once.

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
let installed = false;

function runAll(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // keep going: every other fleet still gets cleaned up
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  // Our listener replaced the default action; with nobody else listening, do what the default would have.
  if (process.listenerCount(signal) <= 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

/** Registers `cleanup` to run (once) when the process exits or gets SIGINT/SIGTERM; returns its removal. */
export function onTeardown(cleanup: Cleanup): () => void {
  if (!installed) {
    installed = true;
    process.on("exit", runAll);
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}
