import type { IncomingMessage, ServerResponse } from "node:http";
import type { FakeInstance } from "./instance.js";

export const METADATA_PREFIX = "/computeMetadata/v1";

/** What the metadata routes read from the fake. */
export interface MetadataState {
  readonly project: string;
  readonly numericProjectId: string;
  /** The project's default compute service account (instances that name none run as it). */
  readonly serviceAccountEmail: string;
  readonly projectAttributes: Readonly<Record<string, string>>;
  /** The instance this "metadata server" runs on; undefined once a test removed it. */
  self(): FakeInstance | undefined;
  /** Exact answers that replace the tree (path relative to /computeMetadata/v1, no leading slash); null = 404. */
  readonly overrides: ReadonlyMap<string, string | null>;
  /** A new access token for the service account `email`. */
  issueToken(email: string): { access_token: string; expires_in: number; token_type: string };
}

type Tree = { [key: string]: Tree | string | (() => string) };

function buildTree(state: MetadataState): Tree {
  const self = state.self();
  const instance: Tree = {};
  if (self !== undefined) {
    const interfaces: Tree = {};
    self.networkInterfaces.forEach((nic, i) => {
      interfaces[String(i)] = {
        ip: nic.networkIP,
        network: `projects/${state.numericProjectId}/networks/${nic.network ?? "default"}`,
        mac: `42:01:0a:80:00:${(i + 2).toString(16).padStart(2, "0")}`,
        gateway: nic.networkIP.replace(/\.\d+$/, ".1"),
        subnetmask: "255.255.240.0",
        mtu: "1460",
      };
    });
    const sa = self.serviceAccount;
    const accounts: Tree = {};
    if (sa !== null) {
      const account: Tree = {
        aliases: "default",
        email: sa.email,
        scopes: (sa.scopes ?? ["https://www.googleapis.com/auth/cloud-platform"]).join("\n") + "\n",
        token: () => JSON.stringify(state.issueToken(sa.email)),
        identity: "",
      };
      accounts.default = account;
      accounts[sa.email] = account;
    }
    const spot = self.provisioningModel === "SPOT";
    Object.assign(instance, {
      id: self.id,
      name: self.name,
      hostname: `${self.name}.${self.zone}.c.${state.project}.internal`,
      zone: `projects/${state.numericProjectId}/zones/${self.zone}`,
      "machine-type": `projects/${state.numericProjectId}/machineTypes/${self.machineType}`,
      tags: JSON.stringify(self.tags),
      attributes: { ...self.metadata },
      "network-interfaces": interfaces,
      "service-accounts": accounts,
      scheduling: {
        "automatic-restart": spot ? "FALSE" : "TRUE",
        "on-host-maintenance": spot ? "TERMINATE" : "MIGRATE",
        preemptible: spot ? "TRUE" : "FALSE",
        "provisioning-model": spot ? "SPOT" : "STANDARD",
      },
      preempted: self.preempted === true ? "TRUE" : "FALSE",
      "maintenance-event": "NONE",
    } satisfies Tree);
  }
  return {
    project: { "project-id": state.project, "numeric-project-id": state.numericProjectId, attributes: { ...state.projectAttributes } },
    instance,
    universe: { "universe-domain": "googleapis.com" },
  };
}

function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function toJson(node: Tree | string | (() => string)): unknown {
  if (typeof node === "function") return JSON.parse(node()) as unknown;
  if (typeof node === "string") return node;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [camel(k), toJson(v)]));
}

function send(res: ServerResponse, status: number, body: string, contentType = "application/text"): void {
  res.writeHead(status, {
    "metadata-flavor": "Google",
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    server: "Metadata Server for VM",
  });
  res.end(body);
}

/** Answers one request under /computeMetadata/v1 the way the GCE metadata server does. */
export function handleMetadata(state: MetadataState, req: IncomingMessage, url: URL, res: ServerResponse): void {
  if (req.headers["x-forwarded-for"] !== undefined) {
    send(res, 403, "Request denied: the metadata server refuses requests with X-Forwarded-For.\n", "text/html");
    return;
  }
  if (req.headers["metadata-flavor"] !== "Google") {
    send(res, 403, "Missing required header: Metadata-Flavor: Google\n", "text/html");
    return;
  }
  const rest = url.pathname.slice(METADATA_PREFIX.length).replace(/^\/+/, "");
  const relative = rest.replace(/\/+$/, "");
  const override = state.overrides.get(relative);
  if (override !== undefined) {
    if (override === null) send(res, 404, "Not Found\n", "text/html");
    else send(res, 200, override);
    return;
  }
  let node: Tree | string | (() => string) = buildTree(state);
  for (const part of relative === "" ? [] : relative.split("/")) {
    if (typeof node !== "object" || !(part in node)) {
      send(res, 404, "Not Found\n", "text/html");
      return;
    }
    node = node[part] as Tree | string | (() => string);
  }
  if (typeof node === "function") {
    send(res, 200, node(), "application/json");
  } else if (typeof node === "string") {
    send(res, 200, node);
  } else if (url.searchParams.get("recursive") === "true" || url.searchParams.get("alt") === "json") {
    send(res, 200, JSON.stringify(toJson(node)), "application/json");
  } else {
    send(
      res,
      200,
      Object.entries(node)
        .map(([k, v]) => (typeof v === "object" ? `${k}/` : k))
        .join("\n") + "\n",
    );
  }
}
