import assert from "node:assert/strict";
import { request } from "node:http";
import { after, afterEach, before, describe, it } from "node:test";
import { FakeGce, FakeIam } from "../src/fake-gce.js";
import { evaluateFilter, parseFilter } from "../src/fake-gce/filter.js";

describe("fake GCE filter language", () => {
  const instance = { name: "web-1", status: "RUNNING", labels: { env: "prod", app: "cache" }, zone: "https://x/zones/us-central1-b" };
  const cases: [string, boolean][] = [
    ["status = RUNNING", true],
    ["status = TERMINATED", false],
    ["status != TERMINATED", true],
    ['(status = RUNNING) AND (labels.env = "prod")', true],
    ['(status = RUNNING) AND (labels.env = "dev")', false],
    ["(status = RUNNING) (labels.app = cache)", true],
    ["(labels.env = dev) OR (labels.env = prod)", true],
    ["NOT (labels.env = prod)", false],
    ["labels.owner:*", false],
    ["labels.env:*", true],
    ["name = web-*", true],
    ["", true],
  ];
  for (const [filter, expected] of cases) {
    it(`${JSON.stringify(filter)} ${expected ? "matches" : "does not match"}`, () => {
      assert.equal(evaluateFilter(parseFilter(filter), instance), expected);
    });
  }
  it("rejects malformed filters", () => {
    for (const bad of ["status =", "(status = RUNNING", 'name = "open', "= x"]) assert.throws(() => parseFilter(bad), /filter/);
  });
});

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("fake GCE over HTTP", () => {
  let gce: FakeGce;
  let token: string;
  before(async () => {
    gce = await FakeGce.start({ project: "p-test-1", self: { name: "self-0", tags: ["a"] } });
  });
  after(async () => gce.close());
  afterEach(() => gce.reset());

  const meta = (path: string, headers: Record<string, string> = { "Metadata-Flavor": "Google" }) => fetch(`${gce.url}/computeMetadata/v1/${path}`, { headers });
  const compute = (path: string, auth = true) => fetch(`${gce.url}/compute/v1/projects/${path}`, { headers: auth ? { authorization: `Bearer ${token}` } : {} });

  it("the metadata server requires Metadata-Flavor: Google and answers with it", async () => {
    assert.equal((await meta("project/project-id", {})).status, 403);
    const res = await meta("project/project-id");
    assert.equal(res.headers.get("metadata-flavor"), "Google");
    assert.equal(await res.text(), "p-test-1");
    assert.equal(await (await meta("instance/zone")).text(), "projects/123456789012/zones/us-central1-a");
    assert.equal(await (await meta("instance/name")).text(), "self-0");
    assert.equal(await (await meta("instance/network-interfaces/0/ip")).text(), gce.self?.networkInterfaces[0]?.networkIP);
    assert.equal((await meta("instance/nope")).status, 404);
    const recursive = (await (await meta("instance/network-interfaces/?recursive=true")).json()) as Record<string, { ip: string }>;
    assert.equal(recursive["0"]?.ip, gce.self?.networkInterfaces[0]?.networkIP);
  });

  it("issues tokens, and the Compute API accepts only those", async () => {
    const body = (await (await meta("instance/service-accounts/default/token")).json()) as { access_token: string; token_type: string };
    token = body.access_token;
    assert.equal(body.token_type, "Bearer");
    assert.equal((await compute("p-test-1/zones/us-central1-a/instances", false)).status, 401);
    assert.equal((await compute("p-test-1/zones/us-central1-a/instances")).status, 200);
    assert.equal((await compute("other-project/zones/us-central1-a/instances")).status, 404);
    assert.equal((await compute("p-test-1/zones/mars-north1-a/instances")).status, 404);
  });

  it("lists with filter and pages; the page token is bound to the filter", async () => {
    gce.addInstances(7, "n", { labels: { env: "prod" } });
    gce.addInstance({ name: "stopped", status: "TERMINATED", labels: { env: "prod" } });
    const filter = encodeURIComponent('(status = RUNNING) AND (labels.env = "prod")');
    const seen: string[] = [];
    let pageToken = "";
    for (let i = 0; i < 10; i++) {
      const res = await compute(`p-test-1/zones/us-central1-a/instances?filter=${filter}&maxResults=3${pageToken ? `&pageToken=${pageToken}` : ""}`);
      const page = (await res.json()) as { items?: { name: string; status: string; networkInterfaces: { networkIP: string }[] }[]; nextPageToken?: string };
      seen.push(...(page.items ?? []).map((x) => x.name));
      if (page.nextPageToken === undefined) break;
      pageToken = page.nextPageToken;
    }
    assert.deepEqual(seen, ["n-0", "n-1", "n-2", "n-3", "n-4", "n-5", "n-6"]);
    assert.equal((await compute(`p-test-1/zones/us-central1-a/instances?maxResults=501`)).status, 400);
    assert.equal((await compute(`p-test-1/zones/us-central1-a/instances?pageToken=${pageToken}`)).status, 400);
    assert.equal((await compute(`p-test-1/zones/us-central1-a/instances?filter=${encodeURIComponent("status = (")}`)).status, 400);
  });

  it("aggregated list groups instances by zone scope", async () => {
    gce.addInstance({ name: "b-1", zone: "us-central1-b" });
    const page = (await (await compute("p-test-1/aggregated/instances?filter=status%20%3D%20RUNNING")).json()) as {
      items: Record<string, { instances?: { name: string }[]; warning?: { code: string } }>;
    };
    assert.deepEqual(
      page.items["zones/us-central1-b"]?.instances?.map((i) => i.name),
      ["b-1"],
    );
    assert.equal(page.items["zones/europe-west1-b"]?.warning?.code, "NO_RESULTS_ON_PAGE");
  });

  it("regions.get answers the region's zones as resource URLs, and 404 for a region it has no zone in", async () => {
    const region = (await (await compute("p-test-1/regions/us-central1")).json()) as { kind: string; name: string; status: string; zones: string[] };
    assert.equal(region.kind, "compute#region");
    assert.equal(region.status, "UP");
    assert.deepEqual(
      region.zones.map((z) => z.replace(/^.*\/zones\//, "")),
      ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"],
    );
    assert.match(region.zones[0] ?? "", /^https:\/\/www\.googleapis\.com\/compute\/v1\/projects\/p-test-1\/zones\/us-central1-a$/);
    assert.equal((await compute("p-test-1/regions/mars-north1")).status, 404);
  });

  it("a fault can carry Retry-After", async () => {
    gce.inject({ status: 503, retryAfter: 30 });
    const res = await compute("p-test-1/zones/us-central1-a/instances");
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "30");
    const logged = gce.computeRequests().at(-1);
    assert.equal(logged?.bytes, Number(res.headers.get("content-length")));
    assert.ok((logged?.bytes ?? 0) > 0);
  });

  it("counts open connections per API: a hung request holds its connection until the client closes it", async () => {
    // A fake of its own: the other tests' keep-alive connections would count too.
    const own = await FakeGce.start({ project: "p-test-2", requireAuth: false });
    try {
      own.inject({ latencyMs: 30_000 });
      const abort = new AbortController();
      const req = request(`${own.url}/compute/v1/projects/p-test-2/zones/us-central1-a/instances`, { signal: abort.signal, agent: false });
      req.on("error", () => {});
      req.end();
      await waitFor(() => own.openConnections("compute") === 1, "the hung request's connection");
      assert.equal(own.openConnections("metadata"), 0);
      assert.equal(own.openConnections(), 1);
      abort.abort();
      await waitFor(() => own.openConnections() === 0, "the connection to close");
    } finally {
      await own.close();
    }
  });

  it("injects Google error bodies, latency, malformed bodies, and logs every request", async () => {
    gce.inject({ status: 429, times: 1 });
    const limited = await compute("p-test-1/zones/us-central1-a/instances");
    assert.equal(limited.status, 429);
    const err = (await limited.json()) as { error: { code: number; errors: { reason: string }[]; status: string } };
    assert.equal(err.error.errors[0]?.reason, "rateLimitExceeded");
    assert.equal(err.error.status, "RESOURCE_EXHAUSTED");
    gce.inject({ body: "{not json" });
    assert.equal(await (await compute("p-test-1/zones/us-central1-a/instances")).text(), "{not json");
    gce.inject({ latencyMs: 150 });
    const t0 = performance.now();
    assert.equal((await compute("p-test-1/zones/us-central1-a/instances")).status, 200);
    assert.ok(performance.now() - t0 >= 140);
    const log = gce.computeRequests();
    assert.deepEqual(
      log.map((r) => r.status),
      [429, 200, 200],
    );
    assert.equal(log[0]?.headers.authorization, `Bearer ${token}`);
  });
});

describe("fake GCE with IAM and per-caller metadata", () => {
  let gce: FakeGce;
  const iam = new FakeIam();
  before(async () => {
    gce = await FakeGce.start({ project: "p-test-2", iam, self: { name: "viewer", serviceAccount: { email: "viewer@p-test-2.iam.gserviceaccount.com" } } });
    iam.grant("serviceAccount:viewer@p-test-2.iam.gserviceaccount.com", "roles/compute.viewer");
  });
  after(async () => gce.close());

  const tokenOf = async (): Promise<string> =>
    (
      (await (await fetch(`${gce.url}/computeMetadata/v1/instance/service-accounts/default/token`, { headers: { "Metadata-Flavor": "Google" } })).json()) as {
        access_token: string;
      }
    ).access_token;
  const list = (token: string) =>
    fetch(`${gce.url}/compute/v1/projects/p-test-2/zones/us-central1-a/instances`, { headers: { authorization: `Bearer ${token}` } });

  it("a token of a service account with roles/compute.viewer may list; one without gets GCE's 403 naming the permission", async () => {
    assert.equal((await list(await tokenOf())).status, 200);
    const self = gce.self!;
    self.serviceAccount = { email: "nolist@p-test-2.iam.gserviceaccount.com" };
    const denied = await list(await tokenOf());
    assert.equal(denied.status, 403);
    const body = (await denied.json()) as { error: { message: string; errors: { reason: string }[] } };
    assert.equal(body.error.message, "Required 'compute.instances.list' permission for 'projects/p-test-2'");
    assert.equal(body.error.errors[0]?.reason, "forbidden");
  });

  it("the metadata server tells a Spot instance it is preempted", async () => {
    const self = gce.self!;
    self.provisioningModel = "SPOT";
    const read = async (path: string) => (await fetch(`${gce.url}/computeMetadata/v1/instance/${path}`, { headers: { "Metadata-Flavor": "Google" } })).text();
    assert.equal(await read("scheduling/preemptible"), "TRUE");
    assert.equal(await read("preempted"), "FALSE");
    self.preempted = true;
    assert.equal(await read("preempted"), "TRUE");
  });

  it("knows which instance has an address", () => {
    const other = gce.addInstance({ name: "other", ip: "10.1.2.3" });
    assert.equal(gce.instanceAt("::ffff:10.1.2.3"), other);
    assert.equal(gce.instanceAt("10.9.9.9"), undefined);
  });
});
