import { randomBytes } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo, Server as NetServer, Socket } from "node:net";
import { handleCompute } from "./compute-api.js";
import { sendGoogleError } from "./google-error.js";
import type { FakeIam } from "./iam.js";
import type { FakeInstance, FakeInstanceSpec, FakeInstanceStatus } from "./instance.js";
import { METADATA_PREFIX, handleMetadata } from "./metadata-server.js";

export type FakeGceApi = "metadata" | "compute";

/** One request as the fake received it. */
export interface FakeGceRequest {
  readonly at: number;
  readonly api: FakeGceApi | "other";
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-case header names, as node parsed them. */
  readonly headers: Readonly<Record<string, string>>;
  /** HTTP status answered (0 when the connection was destroyed or the answer never completed). */
  status: number;
  /** Bytes of the answer's body (its content-length; 0 until answered). */
  bytes: number;
}

/**
 * A fault applied to the next matching requests, in the order faults were added. The request is answered by
 * the fault instead of the emulator: an HTTP error with a Google error JSON body (`status`), a raw `body`
 * (malformed answers), a destroyed connection (`reset`), or — with only `latencyMs` — the normal answer, late.
 */
export interface FakeGceFault {
  /** Default `compute`. */
  readonly api?: FakeGceApi;
  /** Only requests whose path contains this (or matches it). */
  readonly path?: string | RegExp;
  readonly status?: number;
  /** Google error `reason` (e.g. `rateLimitExceeded`), and message. */
  readonly reason?: string;
  readonly message?: string;
  /** Raw body answered with `status` (default 200), e.g. `"{not json"`. */
  readonly body?: string;
  readonly contentType?: string;
  /** Metadata answers only: leave out the `Metadata-Flavor: Google` response header. */
  readonly omitMetadataFlavor?: boolean;
  /** Delay before answering (or before the fault's answer). */
  readonly latencyMs?: number;
  /** Destroy the connection without an answer. */
  readonly reset?: boolean;
  /** `Retry-After` header of the fault's answer: seconds (`30`) or an HTTP date (`new Date(...).toUTCString()`). */
  readonly retryAfter?: number | string;
  /** How many requests it applies to (default 1; `Infinity` until cleared). */
  readonly times?: number;
}

export interface FakeGceOptions {
  readonly project?: string;
  readonly numericProjectId?: string;
  /** Zones the fake knows (instances added elsewhere extend the list). */
  readonly zones?: readonly string[];
  /** The instance the metadata server describes; it is also listed by the Compute API. */
  readonly self?: Partial<FakeInstanceSpec>;
  readonly projectAttributes?: Readonly<Record<string, string>>;
  /** Answer Compute requests without a valid bearer token with 401 (default true). */
  readonly requireAuth?: boolean;
  /**
   * Where to listen (default 127.0.0.1, an ephemeral port). `server`: a listening `net.Server` handle, e.g. one
   * a child process opened inside a network namespace and passed over IPC; `host` and `port` then say what
   * clients use to reach it.
   */
  readonly listen?: { readonly host: string; readonly port: number; readonly server?: NetServer };
  /**
   * Answer the metadata server per caller, as GCE does: each request is answered for the instance whose
   * network interface has the request's source address (403 for any other source), instead of for `self`.
   */
  readonly metadataBySource?: boolean;
  /**
   * Check each Compute call against the caller's service account's permissions (403 `Required
   * 'compute.instances.list' permission`, as the real API answers). Without it every valid token may list.
   */
  readonly iam?: FakeIam;
}

export const DEFAULT_ZONES = ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f", "europe-west1-b", "europe-west1-c", "europe-west1-d"];

interface ActiveFault {
  readonly fault: FakeGceFault;
  remaining: number;
}

/**
 * A fake Google Compute Engine on 127.0.0.1 (ephemeral port): the metadata server (`/computeMetadata/v1/...`)
 * and the Compute API instances routes (`list`, `aggregatedList`, `get`) and `regions.get`, driven over real HTTP by the
 * unmodified Google clients. Programmable (add, remove, stop instances; faults; latency; malformed answers)
 * and logging every request.
 *
 * Point the Google clients at it with {@link FakeGce.env} (`GCE_METADATA_HOST`, `METADATA_SERVER_DETECTION`)
 * and {@link FakeGce.computeClientOptions}. Environment variables are process-global: several fakes can run
 * in one process, but clients read the metadata host from the environment, so tests that use different fakes
 * must take turns (apply the env with {@link FakeGce.useEnv} in each test; node:test runs tests of a file
 * one after the other).
 */
export class FakeGce {
  readonly project: string;
  readonly numericProjectId: string;
  readonly serviceAccountEmail: string;
  /** Every request received, oldest first. */
  readonly requests: FakeGceRequest[] = [];
  /** Metadata answers that replace the emulated tree: path (e.g. `instance/zone`) → text, or null for 404. */
  readonly metadataOverrides = new Map<string, string | null>();
  readonly #instances = new Map<string, FakeInstance>();
  readonly #zones: Set<string>;
  /** Issued access token → the service account it was issued to. */
  readonly #tokens = new Map<string, string>();
  readonly #faults: ActiveFault[] = [];
  readonly #projectAttributes: Record<string, string>;
  readonly #requireAuth: boolean;
  readonly #listen: FakeGceOptions["listen"];
  readonly #bySource: boolean;
  readonly #iam: FakeIam | undefined;
  readonly #server: Server;
  /** Open connections, each with the APIs its requests went to. */
  readonly #sockets = new Map<Socket, Set<FakeGceRequest["api"]>>();
  #selfName: string;
  #port = 0;
  #nextId = 1n;
  #nextIp = 0;

  private constructor(options: FakeGceOptions) {
    this.project = options.project ?? "fake-project";
    this.numericProjectId = options.numericProjectId ?? "123456789012";
    this.serviceAccountEmail = `${this.numericProjectId}-compute@developer.gserviceaccount.com`;
    this.#zones = new Set(options.zones ?? DEFAULT_ZONES);
    this.#projectAttributes = { ...(options.projectAttributes ?? {}) };
    this.#requireAuth = options.requireAuth ?? true;
    this.#listen = options.listen;
    this.#bySource = options.metadataBySource ?? false;
    this.#iam = options.iam;
    const self = this.addInstance({ name: "self-0", zone: options.zones?.[0] ?? "us-central1-a", ...options.self });
    this.#selfName = self.name;
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on("connection", (socket: Socket) => {
      this.#sockets.set(socket, new Set());
      socket.once("close", () => this.#sockets.delete(socket));
    });
  }

  /** Starts a fake on 127.0.0.1 with an ephemeral port (or where `options.listen` says). */
  static async start(options: FakeGceOptions = {}): Promise<FakeGce> {
    const fake = new FakeGce(options);
    const listen = options.listen;
    await new Promise<void>((resolve, reject) => {
      fake.#server.once("error", reject);
      if (listen?.server !== undefined) fake.#server.listen(listen.server, () => resolve());
      else fake.#server.listen(listen?.port ?? 0, listen?.host ?? "127.0.0.1", () => resolve());
    });
    fake.#port = listen?.server !== undefined ? listen.port : (fake.#server.address() as AddressInfo).port;
    return fake;
  }

  get port(): number {
    return this.#port;
  }

  /** The address clients reach the fake on (default 127.0.0.1). */
  get address(): string {
    return this.#listen?.host ?? "127.0.0.1";
  }

  /** `ADDRESS:PORT` (e.g. `127.0.0.1:PORT`), the value of `GCE_METADATA_HOST`. */
  get host(): string {
    return `${this.address}:${this.#port}`;
  }

  get url(): string {
    return `http://${this.host}`;
  }

  /** Environment that points gcp-metadata and google-auth-library at this fake. */
  env(): Record<string, string> {
    return { GCE_METADATA_HOST: this.host, METADATA_SERVER_DETECTION: "assume-present" };
  }

  /**
   * Applies {@link env} to `process.env` (and removes variables that would send google-auth-library elsewhere:
   * `GOOGLE_APPLICATION_CREDENTIALS`, `GCE_METADATA_IP`); returns a function that restores the previous values.
   */
  useEnv(): () => void {
    const names = ["GCE_METADATA_HOST", "GCE_METADATA_IP", "METADATA_SERVER_DETECTION", "GOOGLE_APPLICATION_CREDENTIALS"];
    const saved = new Map(names.map((n) => [n, process.env[n]]));
    for (const n of names) delete process.env[n];
    Object.assign(process.env, this.env());
    return () => {
      for (const [n, v] of saved) {
        if (v === undefined) delete process.env[n];
        else process.env[n] = v;
      }
    };
  }

  /** Options for `new InstancesClient(...)` that send its REST calls here. */
  computeClientOptions(): { apiEndpoint: string; port: number; protocol: "http" } {
    return { apiEndpoint: this.address, port: this.#port, protocol: "http" };
  }

  // ---- instances -------------------------------------------------------------------------------------------

  /** The instance the metadata server answers for. */
  get self(): FakeInstance | undefined {
    return this.#instances.get(this.#selfName);
  }

  addInstance(spec: FakeInstanceSpec): FakeInstance {
    if (this.#instances.has(spec.name)) throw new Error(`fake GCE: instance ${spec.name} exists already`);
    const zone = spec.zone ?? this.self?.zone ?? "us-central1-a";
    this.#zones.add(zone);
    const nics = spec.networkInterfaces ?? [{ name: "nic0", networkIP: spec.ip ?? this.#allocateIp() }];
    const instance: FakeInstance = {
      id: (4_000_000_000_000_000_000n + this.#nextId++).toString(),
      name: spec.name,
      zone,
      status: spec.status ?? "RUNNING",
      networkInterfaces: nics.map((n, i) => ({ ...n, name: n.name ?? `nic${i}` })),
      tags: [...(spec.tags ?? [])],
      labels: { ...(spec.labels ?? {}) },
      metadata: { ...(spec.metadata ?? {}) },
      machineType: spec.machineType ?? "e2-small",
      creationTimestamp: new Date().toISOString(),
      serviceAccount: spec.serviceAccount === undefined ? { email: this.serviceAccountEmail } : spec.serviceAccount,
      provisioningModel: spec.provisioningModel ?? "STANDARD",
      preempted: false,
    };
    this.#instances.set(instance.name, instance);
    return instance;
  }

  /** Adds `count` instances named `${prefix}-${i}` with the same spec. */
  addInstances(count: number, prefix: string, spec: Omit<FakeInstanceSpec, "name" | "ip" | "networkInterfaces"> = {}): FakeInstance[] {
    return Array.from({ length: count }, (_, i) => this.addInstance({ ...spec, name: `${prefix}-${i}` }));
  }

  removeInstance(name: string): boolean {
    return this.#instances.delete(name);
  }

  setStatus(name: string, status: FakeInstanceStatus): void {
    const instance = this.#instances.get(name);
    if (instance === undefined) throw new Error(`fake GCE: no instance ${name}`);
    instance.status = status;
  }

  stopInstance(name: string): void {
    this.setStatus(name, "TERMINATED");
  }

  startInstance(name: string): void {
    this.setStatus(name, "RUNNING");
  }

  instance(name: string): FakeInstance | undefined {
    return this.#instances.get(name);
  }

  instances(): readonly FakeInstance[] {
    return [...this.#instances.values()];
  }

  zones(): readonly string[] {
    return [...this.#zones];
  }

  // ---- faults ----------------------------------------------------------------------------------------------

  /** Adds a fault; returns a function that removes it. */
  inject(fault: FakeGceFault): () => void {
    const active: ActiveFault = { fault, remaining: fault.times ?? 1 };
    this.#faults.push(active);
    return () => {
      const i = this.#faults.indexOf(active);
      if (i !== -1) this.#faults.splice(i, 1);
    };
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** Replaces a metadata answer (`path` relative to /computeMetadata/v1, e.g. `instance/zone`); null answers 404. */
  setMetadata(path: string, value: string | null): void {
    this.metadataOverrides.set(path.replace(/^\/+|\/+$/g, ""), value);
  }

  // ---- log -------------------------------------------------------------------------------------------------

  computeRequests(): FakeGceRequest[] {
    return this.requests.filter((r) => r.api === "compute");
  }

  metadataRequests(): FakeGceRequest[] {
    return this.requests.filter((r) => r.api === "metadata");
  }

  /**
   * Connections open right now (keep-alive ones included); with `api`, only those that carried a request to it.
   * A client that abandons a call without closing its socket shows here.
   */
  openConnections(api?: FakeGceApi): number {
    let n = 0;
    for (const apis of this.#sockets.values()) if (api === undefined || apis.has(api)) n += 1;
    return n;
  }

  /** Access tokens the metadata server issued. */
  issuedTokens(): readonly string[] {
    return [...this.#tokens.keys()];
  }

  /** The instance whose network interface has `address` (what the metadata server answers for, by source). */
  instanceAt(address: string): FakeInstance | undefined {
    const ip = address.replace(/^::ffff:/, "");
    for (const instance of this.#instances.values()) if (instance.networkInterfaces.some((n) => n.networkIP === ip)) return instance;
    return undefined;
  }

  clearLog(): void {
    this.requests.length = 0;
  }

  /** Resets instances (keeps self), faults, overrides and the log. */
  reset(): void {
    for (const name of [...this.#instances.keys()]) if (name !== this.#selfName) this.#instances.delete(name);
    this.clearFaults();
    this.metadataOverrides.clear();
    this.clearLog();
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- internals -------------------------------------------------------------------------------------------

  #allocateIp(): string {
    const n = this.#nextIp++;
    return `10.128.${Math.floor(n / 250)}.${(n % 250) + 2}`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const api: FakeGceRequest["api"] =
      url.pathname.startsWith(METADATA_PREFIX) || url.pathname === "/" ? "metadata" : url.pathname.startsWith("/compute/") ? "compute" : "other";
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    const entry: FakeGceRequest = {
      at: Date.now(),
      api,
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      status: 0,
      bytes: 0,
    };
    this.requests.push(entry);
    this.#sockets.get(req.socket)?.add(api);
    res.on("finish", () => {
      entry.status = res.statusCode;
    });
    // Every answer of the fake goes through writeHead with its content-length.
    const writeHead = res.writeHead.bind(res) as (status: number, headers?: Record<string, string | number>) => ServerResponse;
    (res as { writeHead: unknown }).writeHead = (status: number, headers?: Record<string, string | number>): ServerResponse => {
      entry.bytes = Number(headers?.["content-length"] ?? 0);
      return writeHead(status, headers);
    };
    req.resume();
    const fault = api === "other" ? undefined : this.#takeFault(api, url.pathname);
    const answer = (): void => {
      if (res.destroyed) return;
      try {
        if (fault !== undefined && api !== "other" && this.#answerFault(fault, api, res)) return;
        this.#route(api, req, url, res);
      } catch (error) {
        if (!res.headersSent) sendGoogleError(res, 500, `fake GCE internal error: ${String(error)}`);
        else res.destroy();
      }
    };
    if (fault?.latencyMs !== undefined && fault.latencyMs > 0) {
      const timer = setTimeout(answer, fault.latencyMs);
      res.on("close", () => clearTimeout(timer));
    } else {
      answer();
    }
  }

  #takeFault(api: FakeGceApi, path: string): FakeGceFault | undefined {
    const index = this.#faults.findIndex(({ fault }) => {
      if ((fault.api ?? "compute") !== api) return false;
      if (fault.path === undefined) return true;
      return typeof fault.path === "string" ? path.includes(fault.path) : fault.path.test(path);
    });
    const active = this.#faults[index];
    if (active === undefined) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) this.#faults.splice(index, 1);
    return active.fault;
  }

  /** True when the fault answered the request itself. */
  #answerFault(fault: FakeGceFault, api: FakeGceApi, res: ServerResponse): boolean {
    if (fault.reset === true) {
      res.socket?.destroy();
      return true;
    }
    const retryAfter: Record<string, string> = fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) };
    if (fault.body !== undefined) {
      const headers: Record<string, string | number> = {
        ...retryAfter,
        "content-type": fault.contentType ?? (api === "metadata" ? "application/text" : "application/json; charset=UTF-8"),
        "content-length": Buffer.byteLength(fault.body),
      };
      if (api === "metadata" && fault.omitMetadataFlavor !== true) headers["metadata-flavor"] = "Google";
      res.writeHead(fault.status ?? 200, headers);
      res.end(fault.body);
      return true;
    }
    if (fault.status !== undefined) {
      sendGoogleError(res, fault.status, fault.message?.replace("{project}", this.project), fault.reason, retryAfter);
      return true;
    }
    if (fault.omitMetadataFlavor === true && api === "metadata") {
      res.writeHead(200, { "content-type": "application/text" });
      res.end("unexpected answer without Metadata-Flavor");
      return true;
    }
    return false;
  }

  #route(api: FakeGceRequest["api"], req: IncomingMessage, url: URL, res: ServerResponse): void {
    if (api === "metadata") {
      const caller = this.#bySource ? this.instanceAt(req.socket.remoteAddress ?? "") : this.self;
      if (this.#bySource && caller === undefined) {
        res.writeHead(403, { "metadata-flavor": "Google", "content-type": "text/plain" });
        res.end(`fake GCE: no instance has the address ${req.socket.remoteAddress ?? "?"}\n`);
        return;
      }
      if (url.pathname === "/") {
        // gcp-metadata's availability ping.
        res.writeHead(200, { "metadata-flavor": "Google", "content-type": "application/text" });
        res.end("computeMetadata/\n");
        return;
      }
      handleMetadata(
        {
          project: this.project,
          numericProjectId: this.numericProjectId,
          serviceAccountEmail: this.serviceAccountEmail,
          projectAttributes: this.#projectAttributes,
          self: () => caller,
          overrides: this.metadataOverrides,
          issueToken: (email) => {
            const token = `ya29.fake-${randomBytes(12).toString("hex")}`;
            this.#tokens.set(token, email);
            return { access_token: token, expires_in: 3599, token_type: "Bearer" };
          },
        },
        req,
        url,
        res,
      );
      return;
    }
    if (api === "compute") {
      if (req.method !== "GET") {
        sendGoogleError(res, 405, `method ${req.method} is not emulated by the fake`, "methodNotAllowed");
        return;
      }
      if (this.#requireAuth) {
        const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
        if (auth === null || !this.#tokens.has(auth[1] ?? "")) {
          sendGoogleError(res, 401, "Request is missing required authentication credential. Expected OAuth 2 access token.", "required");
          return;
        }
        const email = this.#tokens.get(auth[1] ?? "") ?? "";
        const permission = /\/regions\/[^/]+$/.test(url.pathname)
          ? "compute.regions.get"
          : /\/instances\/[^/]+$/.test(url.pathname)
            ? "compute.instances.get"
            : "compute.instances.list";
        if (this.#iam !== undefined && !this.#iam.allows(email, permission)) {
          sendGoogleError(res, 403, `Required '${permission}' permission for 'projects/${this.project}'`, "forbidden");
          return;
        }
      }
      if (handleCompute({ project: this.project, zones: () => this.zones(), instances: () => this.instances() }, url, res)) return;
    }
    sendGoogleError(res, 404, `The requested URL ${url.pathname} was not found on this server.`, "notFound");
  }
}
