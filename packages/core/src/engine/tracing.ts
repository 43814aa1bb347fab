import { createRequire } from "node:module";
import type * as OpenTelemetry from "@opentelemetry/api";
import type { Attributes, Context, Span, Tracer } from "@opentelemetry/api";
import { CacheClusterError } from "../errors.js";
import type { TraceCarrier } from "../interfaces/transport.js";
import { VERSION } from "../status/version.js";
import type { FlightSignal } from "./flight-signal.js";

/**
 * OpenTelemetry traces of gets, through `@opentelemetry/api` as an optional peer dependency.
 *
 * Cost when the app has registered no tracer provider: a property read or two per get. `@opentelemetry/api` 1.x
 * keeps what an SDK registers in one object on `globalThis[Symbol.for("opentelemetry.js.api.1")]`, shared by
 * every copy of API 1.x and never replaced once created; while it holds no `trace` entry the API itself would
 * answer with a no-op tracer, so a get skips tracing without calling the API. The API module is loaded
 * (synchronously, once) the first time a tracer provider is seen; when it is not installed, tracing stays off.
 *
 * Until that object exists (nothing of OpenTelemetry registered yet), V8 reads a missing property of the global
 * object slowly (~12 ns, a tenth of a local hit), so it is looked for on every `LOOK_EVERY`-th get only, and
 * whenever a group is created: an SDK registered after the first gets is seen within that many gets.
 */
const REGISTRY = Symbol.for("opentelemetry.js.api.1");
const LOOK_EVERY = 256;

type Api = typeof OpenTelemetry;

/** The loaded API and this library's tracer. */
export interface Tracing {
  readonly api: Api;
  readonly tracer: Tracer;
}

/** The API's registry of globals, once it exists. */
let registry: { readonly trace?: unknown } | undefined;
/** Gets until the next look for the registry. */
let untilLook = 0;
/** undefined: not tried yet; null: not installed (or failed to load), tracing stays off. */
let loaded: Tracing | null | undefined;

/** The tracing in effect for this get, or undefined when no tracer provider is registered (the usual hot path). */
export function activeTracing(): Tracing | undefined {
  if (registry === undefined) {
    if (--untilLook > 0) return undefined;
    untilLook = LOOK_EVERY;
    registry = (globalThis as { [REGISTRY]?: { trace?: unknown } })[REGISTRY];
    if (registry === undefined) return undefined;
  }
  if (registry.trace === undefined) return undefined;
  if (loaded === undefined) loaded = loadTracing(createRequire(import.meta.url));
  return loaded ?? undefined;
}

/** Look for the registry at the next get (a group is created: the app's SDK is likely registered by now). */
export function lookForTracing(): void {
  untilLook = 0;
}

/** Loads `@opentelemetry/api` with `load` (a `require`); null when it is missing or unusable. Exported for tests. */
export function loadTracing(load: (id: string) => unknown): Tracing | null {
  try {
    const api = load("@opentelemetry/api") as Api;
    return { api, tracer: api.trace.getTracer("@cachecluster/core", VERSION) };
  } catch {
    return null;
  }
}

/** Forget what was found (tests only). */
export function resetTracing(value?: Tracing | null): void {
  registry = undefined;
  untilLook = 0;
  loaded = value;
}

/** Where a get's value came from: `cachecluster.outcome`. */
export type TraceOutcome = "hit" | "hot" | "peer" | "load";

const ATTR_GROUP = "cachecluster.group";
const ATTR_OUTCOME = "cachecluster.outcome";
const ATTR_PEER = "cachecluster.peer";
const ATTR_SHARED = "cachecluster.shared";
const ATTR_KEYS = "cachecluster.keys";
const ATTR_HITS = "cachecluster.hits";
const ATTR_ERRORS = "cachecluster.errors";
const ATTR_ERROR_TYPE = "error.type";
const ATTR_SERVER_ADDRESS = "server.address";
const ATTR_SERVER_PORT = "server.port";

/**
 * The span of one get (`get {group}`, internal) or of one request served for a peer (`serve {group}`, server),
 * and the parent of the peer fetch and load spans of the load it starts. The group reports what happened
 * (`fromHot`, `leads`, the flight's outcome and peer) and `finish` ends the span with it.
 */
export class GetTrace {
  readonly #tracing: Tracing;
  readonly #span: Span;
  readonly #group: string;
  readonly #parent: Context;
  #context: Context | undefined;
  #hot = false;
  #leader = false;

  private constructor(tracing: Tracing, span: Span, group: string, parent: Context) {
    this.#tracing = tracing;
    this.#span = span;
    this.#group = group;
    this.#parent = parent;
  }

  /** The context that holds this span: the parent of the fetch and load spans (made on a miss only). */
  get context(): Context {
    return (this.#context ??= this.#tracing.api.trace.setSpan(this.#parent, this.#span));
  }

  /** A get by the application: a child of the active span. */
  static get(tracing: Tracing, group: string): GetTrace {
    const { api, tracer } = tracing;
    const parent = api.context.active();
    const span = tracer.startSpan(`get ${group}`, { kind: api.SpanKind.INTERNAL, attributes: { [ATTR_GROUP]: group } }, parent);
    return new GetTrace(tracing, span, group, parent);
  }

  /**
   * A `getMany` by the application (`getMany {group}`, internal, `cachecluster.keys`): the parent of one fetch
   * span per owner asked (with the keys it was asked for) and of the load spans of the keys loaded here.
   */
  static getMany(tracing: Tracing, group: string, keys: number): GetTrace {
    const { api, tracer } = tracing;
    const parent = api.context.active();
    const attributes = { [ATTR_GROUP]: group, [ATTR_KEYS]: keys };
    const span = tracer.startSpan(`getMany ${group}`, { kind: api.SpanKind.INTERNAL, attributes }, parent);
    return new GetTrace(tracing, span, group, parent);
  }

  /**
   * A request from a peer. Under a span already active (the app's HTTP server instrumentation made one from the
   * request's headers) the span is internal, its child; otherwise a server span whose parent is the caller's
   * context read from `carrier` by the app's propagator (W3C `traceparent` by default). A Go peer sends none:
   * then the span starts a trace.
   */
  static serve(tracing: Tracing, group: string, carrier: TraceCarrier | undefined): GetTrace {
    const { api, tracer } = tracing;
    const active = api.context.active();
    const nested = api.trace.getSpan(active) !== undefined;
    const parent = nested || carrier === undefined ? active : api.propagation.extract(active, carrier);
    const kind = nested ? api.SpanKind.INTERNAL : api.SpanKind.SERVER;
    const span = tracer.startSpan(`serve ${group}`, { kind, attributes: { [ATTR_GROUP]: group } }, parent);
    return new GetTrace(tracing, span, group, parent);
  }

  /** Passes the hot cache's answer through, noting that the value came from there. */
  fromHot<T>(entry: T | undefined): T | undefined {
    if (entry !== undefined) this.#hot = true;
    return entry;
  }

  /** This get started the load (its flight); the others waiting on it are `cachecluster.shared`. */
  leads(): void {
    this.#leader = true;
  }

  /** Ends the span of a get answered from a cache right away. */
  finishHit(): void {
    this.#span.setAttribute(ATTR_OUTCOME, this.#hot ? "hot" : "hit");
    this.#span.end();
  }

  /** Ends the span once the flight settles: its outcome and peer, or the error. */
  finish<T>(pending: Promise<T>, flight: FlightSignal | undefined): Promise<T> {
    return pending.then(
      (value) => {
        this.#describe(flight);
        this.#span.end();
        return value;
      },
      (error: unknown) => {
        this.#describe(flight);
        fail(this.#tracing, this.#span, error);
        this.#span.end();
        throw error;
      },
    );
  }

  /**
   * Ends a `getMany` span once its results are in: `cachecluster.hits` (keys served from this node's caches) and
   * `cachecluster.errors` (keys that failed; each failure is its key's, so the span's status stays unset).
   */
  finishMany<T extends readonly PromiseSettledResult<unknown>[]>(pending: Promise<T>, hits: number): Promise<T> {
    return pending.then((results) => {
      let errors = 0;
      for (const result of results) if (result.status === "rejected") errors++;
      this.#span.setAttributes({ [ATTR_HITS]: hits, [ATTR_ERRORS]: errors });
      this.#span.end();
      return results;
    });
  }

  /** Ends the span of a get that failed before it reached a cache or a flight (bad key, aborted). */
  fail(error: unknown): void {
    fail(this.#tracing, this.#span, error);
    this.#span.end();
  }

  /**
   * Runs `call` (the transport's fetch from `peer`) inside the client span `fetch {group}`, giving it the span's
   * context as the app's propagator writes it (undefined when it writes nothing) to send along; ends the span
   * when the call settles. A batched fetch says how many `keys` it asks for (`cachecluster.keys`).
   */
  fetch<T>(peer: string, call: (traceContext: TraceCarrier | undefined) => Promise<T>, keys?: number): Promise<T> {
    const { api, tracer } = this.#tracing;
    const attributes: Attributes = { [ATTR_GROUP]: this.#group, [ATTR_PEER]: peer, ...serverAttributes(peer) };
    if (keys !== undefined) attributes[ATTR_KEYS] = keys;
    const span = tracer.startSpan(`fetch ${this.#group}`, { kind: api.SpanKind.CLIENT, attributes }, this.context);
    const context = api.trace.setSpan(this.context, span);
    const carrier: Record<string, string> = {};
    api.propagation.inject(context, carrier);
    const traceContext = Object.keys(carrier).length === 0 ? undefined : carrier;
    return settle(this.#tracing, span, () => api.context.with(context, call, undefined, traceContext)) as Promise<T>;
  }

  /**
   * Runs the loader inside the load span (`load {group}`), so the spans the loader makes (a database query)
   * are its children, and ends it when the loader's result settles.
   */
  load<T>(run: () => T | PromiseLike<T>): T | PromiseLike<T> {
    const { api, tracer } = this.#tracing;
    const span = tracer.startSpan(`load ${this.#group}`, { kind: api.SpanKind.INTERNAL, attributes: { [ATTR_GROUP]: this.#group } }, this.context);
    return settle(this.#tracing, span, () => api.context.with(api.trace.setSpan(this.context, span), run));
  }

  #describe(flight: FlightSignal | undefined): void {
    const span = this.#span;
    if (flight === undefined) return;
    const outcome: TraceOutcome = this.#hot ? "hot" : flight.outcome;
    span.setAttribute(ATTR_OUTCOME, outcome);
    if (flight.peer !== undefined) span.setAttribute(ATTR_PEER, flight.peer);
    if (!this.#leader && outcome !== "hot") span.setAttribute(ATTR_SHARED, true);
  }
}

/** Runs `run`, ending `span` when its result settles (at once when it is not a promise), failed if it fails. */
function settle<T>(tracing: Tracing, span: Span, run: () => T | PromiseLike<T>): T | Promise<T> {
  let result: T | PromiseLike<T>;
  try {
    result = run();
  } catch (error) {
    fail(tracing, span, error);
    span.end();
    throw error;
  }
  if (!isThenable(result)) {
    span.end();
    return result;
  }
  return Promise.resolve(result).then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      fail(tracing, span, error);
      span.end();
      throw error;
    },
  );
}

/**
 * Marks a span failed as the semantic conventions say: status ERROR with the message, `error.type` the error's
 * stable code (or its class name), the exception recorded. An abort by the caller is not a failure of the
 * operation: the span keeps an unset status and says `error.type` only.
 */
function fail(tracing: Tracing, span: Span, error: unknown): void {
  const type = errorType(error);
  span.setAttribute(ATTR_ERROR_TYPE, type);
  if (type === "CACHECLUSTER_ABORTED") return;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: tracing.api.SpanStatusCode.ERROR, message });
}

function errorType(error: unknown): string {
  if (error instanceof CacheClusterError) return error.code;
  if (error instanceof Error) return error.name;
  return "_OTHER";
}

/** `server.address` and `server.port` of a peer base URL, parsed once per peer. */
const serverAttributesCache = new Map<string, Attributes>();
function serverAttributes(peer: string): Attributes {
  let attributes = serverAttributesCache.get(peer);
  if (attributes !== undefined) return attributes;
  try {
    const url = new URL(peer);
    const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
    attributes = { [ATTR_SERVER_ADDRESS]: url.hostname.replace(/^\[(.*)\]$/, "$1"), [ATTR_SERVER_PORT]: port };
  } catch {
    attributes = {};
  }
  // Bounded: peers come and go in an autoscaling fleet.
  if (serverAttributesCache.size >= 1024) serverAttributesCache.clear();
  serverAttributesCache.set(peer, attributes);
  return attributes;
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
