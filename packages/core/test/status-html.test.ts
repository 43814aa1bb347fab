import assert from "node:assert/strict";
import { runInNewContext } from "node:vm";
import { after, before, describe, it } from "node:test";
import type { ClusterStatus } from "../src/index.js";
import { renderStatusBody } from "../src/status/status-body.js";
import { renderStatusPage } from "../src/status/status-page.js";
import { clientScript } from "../src/status/status-page.js";
import { closeAll, getText, startNode, type TestNode } from "./status-nodes.js";

const HOSTILE_NAME = `<img src=x onerror=alert(1)>"'&amp;`;
const HOSTILE_URL = `http://127.0.0.1:1/"><script>alert(2)</script>`;
const JS_URL = "javascript:alert(3)//";
const HOSTILE_HOST = `"><svg onload=alert(4)>`;
const HOSTILE_GROUP = `</td><script>alert(5)</script>`;

/** The HTML-escaped form the page must show for a value. */
function escaped(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

describe("status page escaping", () => {
  let node: TestNode;
  let page: string;

  before(async () => {
    node = await startNode("victim");
    node.cluster.group(HOSTILE_GROUP, { load: (k) => k });
    await node.cluster.getGroup(HOSTILE_GROUP)!.get("x");
    // Member names, URLs and addresses come from the network (gossip metadata, discovery): treat them as hostile.
    await node.cluster.membership.join([
      { host: HOSTILE_HOST, cacheUrl: HOSTILE_URL, name: HOSTILE_NAME },
      { host: "127.0.0.2", cacheUrl: JS_URL, name: "js-link" },
    ]);
    page = (await getText(`${node.admin}/_cachecluster/status`)).body;
  });
  after(() => closeAll([node]));

  it("shows hostile member names, URLs, addresses and group names as text, never as markup", () => {
    assert.equal([...page.matchAll(/<script\b/gi)].length, 1, "only the page's own script element");
    assert.ok(!/<img|<svg/i.test(page), "no element made from data");
    assert.ok(page.includes(escaped(HOSTILE_NAME)), "member name shown escaped");
    assert.ok(page.includes(escaped(HOSTILE_URL)), "member URL shown escaped");
    assert.ok(page.includes(escaped(HOSTILE_GROUP)), "group name shown escaped");
    assert.ok(page.includes(escaped(`${HOSTILE_HOST}:9999`)), "gossip address shown escaped");
    assert.ok(page.includes(`data-member="${escaped(HOSTILE_NAME)}"`), "attributes escaped too");
  });

  it("links only http(s) member URLs", () => {
    assert.ok(!/href="javascript:/i.test(page), "no javascript: link");
    assert.ok(page.includes(`<span class="mono">${escaped(JS_URL)}</span>`));
    assert.ok(!/href="[^"]*<script/i.test(page), "no markup inside an href");
  });

  it("renders the same body in the browser as on the server: the embedded renderer is self-contained", () => {
    const status = node.cluster.status();
    const script = clientScript();
    const source = /const renderStatusBody = ([\s\S]*?);\n {2}const app =/.exec(script)?.[1];
    assert.ok(source !== undefined, "the script embeds the renderer");
    // A fresh context has none of this module's bindings: any outside reference would throw here.
    const render = runInNewContext(`(${source})`, {}) as (s: ClusterStatus) => string;
    assert.equal(render(JSON.parse(JSON.stringify(status)) as ClusterStatus), renderStatusBody(status));
    assert.doesNotMatch(script, /<\/script|<!--/i);
  });

  it("escapes the title and never lets data reach the script element", () => {
    const status = { ...node.cluster.status(), node: { ...node.cluster.status().node, name: `</title><script>alert(6)</script>` } };
    const html = renderStatusPage(status, "n0nce");
    assert.ok(html.includes(`<title>${escaped("</title><script>alert(6)</script>")} · cachecluster</title>`));
    assert.equal([...html.matchAll(/<script\b/gi)].length, 1);
    const script = /<script nonce="n0nce">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
    assert.ok(!script.includes("alert(6)"), "the script carries code only, no data");
  });

  it("renders every event type, member state and empty sections without throwing", () => {
    const base = node.cluster.status();
    const status: ClusterStatus = {
      ...base,
      mode: "local",
      members: [],
      groups: [],
      events: (["join", "leave", "fail", "update"] as const).map((type, i) => ({
        type,
        at: base.generatedAt - i * 61_000,
        member: { id: `m${i}`, cacheUrl: `http://10.0.0.${i}:9080`, state: (["alive", "left", "dead", "suspect"] as const)[i]!, incarnation: i },
      })),
      components: { transport: null, membership: null, discovery: null },
    };
    const body = renderStatusBody(status);
    const odd = { ...status.events[0]!, at: Number.NaN };
    assert.match(renderStatusBody({ ...status, events: [odd] }), /<time title="—">—/, "a bad timestamp does not break the page");
    assert.match(body, /Membership reports no members/);
    assert.match(body, /No groups yet/);
    assert.match(body, /local mode/);
    for (const type of ["join", "leave", "fail", "update"]) assert.ok(body.includes(`ev-${type}">${type}</span>`));
    assert.match(body, /3m 3s ago/);
    assert.doesNotMatch(body, /id="components"/);
  });
});
