/**
 * A fleet simulation failed: a command, a VM's boot or shutdown, or a wait for a condition. The message says
 * which VM and which phase; `vm` and `phase` carry them for code.
 */
export class FleetError extends Error {
  readonly code = "CACHECLUSTER_FLEET_FAILED";
  readonly vm: string | undefined;
  readonly phase: string | undefined;

  constructor(message: string, options: { vm?: string; phase?: string; cause?: unknown } = {}) {
    const where = [options.phase === undefined ? "" : `phase "${options.phase}"`, options.vm === undefined ? "" : `VM ${options.vm}`]
      .filter((s) => s !== "")
      .join(", ");
    super(where === "" ? message : `${where}: ${message}`, options.cause === undefined ? {} : { cause: options.cause });
    this.name = "FleetError";
    this.vm = options.vm;
    this.phase = options.phase;
  }
}
