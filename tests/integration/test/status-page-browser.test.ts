import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { type CacheCluster, createCacheCluster } from "@cachecluster/core";
import { httpTransport } from "@cachecluster/transport-http";

/** Debian's chromium (scripts/setup.sh installs it); CHROMIUM_PATH overrides. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOT = "/tmp/cachecluster-status.png";

interface Node {
  readonly cluster: CacheCluster;
  readonly url: string;
  /** The admin listener, which serves the status page. */
  readonly admin: string;
}

/** A node on loopback with `httpTransport()`, the status page on its admin listener. */
async function startNode(name: string): Promise<Node> {
  const cluster = await createCacheCluster({ cache: { port: 0, host: "127.0.0.1" }, cluster: { name, advertise: "127.0.0.1" } }, [httpTransport()]);
  const { url } = await cluster.listen();
  return { cluster, url, admin: cluster.adminUrl ?? "" };
}

async function connect(nodes: readonly Node[]): Promise<void> {
  for (const node of nodes) {
    const others = nodes.filter((n) => n !== node).map((n) => ({ host: "127.0.0.1", cacheUrl: n.url, name: n.cluster.local.name }));
    await node.cluster.membership.join(others);
  }
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** Console errors and uncaught exceptions of a page: a CSP violation (blocked inline script or style) shows up here. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

async function polls(page: Page): Promise<number> {
  return Number((await page.locator("#live").getAttribute("data-polls")) ?? "0");
}

describe("status page in a real headless Chromium", () => {
  let browser: Browser;
  const nodes: Node[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: run scripts/setup.sh (apt-get install chromium) or set CHROMIUM_PATH`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      timeout: 30_000,
    });
  });

  after(async () => {
    await browser?.close();
    await Promise.all(nodes.map((n) => n.cluster.close()));
  });

  it("renders members, ring shares and group stats, and the auto-refresh follows new gets", async () => {
    const a = await startNode("node-a");
    const b = await startNode("node-b");
    const c = await startNode("node-c");
    nodes.push(a, b, c);
    for (const n of [a, b, c]) {
      n.cluster.group("thumbs", { maxBytes: 1 << 20, load: (key) => `thumbnail bytes of ${key}`.repeat(20) });
      n.cluster.group("users", { maxBytes: 256 << 10, load: (key) => JSON.stringify({ id: key, name: `user ${key}` }) });
    }
    await connect([a, b, c]);
    const thumbs = a.cluster.getGroup("thumbs")!;
    const users = a.cluster.getGroup("users")!;
    for (let i = 0; i < 120; i++) await thumbs.get(`img-${i % 60}.png`);
    for (let i = 0; i < 40; i++) await users.get(`u${i % 25}`);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    const res = await page.goto(`${a.admin}/_cachecluster/status`, { timeout: 15_000 });
    assert.equal(res?.status(), 200);

    assert.equal(await page.locator("#node-name").textContent(), "node-a");
    assert.match((await page.locator("#mode").textContent()) ?? "", /clustered · 3 on the ring/);
    const shares = a.cluster.ring.shares();
    for (const n of [a, b, c]) {
      const row = page.locator(`#members tr[data-member="${n.cluster.local.name}"]`);
      assert.ok(await row.isVisible(), `${n.cluster.local.name} row visible`);
      assert.equal(await row.locator('[data-stat="share"]').textContent(), pct(shares.get(n.url) ?? -1));
      assert.match((await row.textContent()) ?? "", /alive/);
    }
    assert.match((await page.locator('#members tr[data-member="node-a"]').textContent()) ?? "", /this node/);

    const gets = page.locator('#groups tr[data-group="thumbs"] [data-stat="gets"]');
    assert.ok(await gets.isVisible());
    assert.equal(await gets.textContent(), String(thumbs.stats.gets));
    assert.equal(await page.locator('#groups tr[data-group="users"] [data-stat="gets"]').textContent(), "40");
    assert.equal(await page.locator('#groups tr[data-group="thumbs"] [data-stat="local-loads"]').textContent(), String(thumbs.stats.localLoads));
    assert.equal(await page.locator('#caches tr[data-cache="thumbs/main"] [data-stat="items"]').textContent(), String(thumbs.cacheStats("main").items));
    assert.ok(await page.locator("#events li").first().isVisible(), "join events listed");

    // More traffic: the page must pick it up by itself (poll every 2 s), without a reload.
    const before = await polls(page);
    for (let i = 0; i < 30; i++) await thumbs.get(`img-${i}.png`);
    const expected = String(thumbs.stats.gets);
    await page.waitForFunction((want) => document.querySelector('#groups tr[data-group="thumbs"] [data-stat="gets"]')?.textContent === want, expected, {
      timeout: 10_000,
      polling: 100,
    });
    assert.ok((await polls(page)) > before, "updated by the refresh script, not a reload");
    assert.match((await page.locator("#live").textContent()) ?? "", /^live · updated \d\d:\d\d:\d\d UTC$/);
    assert.equal(
      await page.locator('[data-stat="gets"]').first().textContent(),
      String(thumbs.stats.gets + users.stats.gets).replace(/\B(?=(\d{3})+(?!\d))/g, ","),
    );

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: SCREENSHOT.replace(".png", "-dark.png"), fullPage: true });
    await page.setViewportSize({ width: 420, height: 900 });
    await page.screenshot({ path: SCREENSHOT.replace(".png", "-narrow.png"), fullPage: false });
    assert.deepEqual(errors, [], "no console errors (a CSP violation would be one)");
    await page.close();
  });

  it("counts peer fetches made over the transport and follows new gets", async () => {
    const a = await startNode("http-a");
    const b = await startNode("http-b");
    nodes.push(a, b);
    for (const n of [a, b]) n.cluster.group("pages", { load: (key) => `page ${key}` });
    await connect([a, b]);
    const pages = a.cluster.getGroup("pages")!;
    for (let i = 0; i < 20; i++) await pages.get(`/p/${i}`);
    // A fetch that fails (a 1 s connect timeout on a loaded CI machine) is loaded here instead, and a peer that
    // fails is ejected for a while: once in a CI run, none of the 20 gets above was a peer fetch. Read more keys,
    // for up to 10 s, until one is: the page must count it.
    for (let i = 0, until = Date.now() + 10_000; pages.stats.peerLoads === 0 && Date.now() < until; i++) {
      await pages.get(`/r/${i}`);
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(pages.stats.peerLoads > 0, `a peer fetch over the real transport: ${JSON.stringify(pages.stats)}`);
    const gets = pages.stats.gets;
    const page = await browser.newPage();
    const errors = watchErrors(page);
    const res = await page.goto(`${a.admin}/_cachecluster/status`, { timeout: 15_000 });
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()["content-security-policy"] ?? "", /script-src 'nonce-/);
    assert.ok(await page.locator('#members tr[data-member="http-b"]').isVisible());
    assert.equal(await page.locator('#groups tr[data-group="pages"] [data-stat="gets"]').textContent(), gets.toLocaleString("en-US"));
    assert.equal(
      await page.locator('#groups tr[data-group="pages"] [data-stat="peer-loads"]').textContent(),
      pages.stats.peerLoads.toLocaleString("en-US"),
      "peer fetches over the real transport",
    );
    for (let i = 0; i < 5; i++) await pages.get(`/q/${i}`);
    const want = (gets + 5).toLocaleString("en-US");
    await page.waitForFunction((text) => document.querySelector('#groups tr[data-group="pages"] [data-stat="gets"]')?.textContent === text, want, {
      timeout: 10_000,
      polling: 100,
    });
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("shows hostile member names as text in the first render and after a refresh, running none of them", async () => {
    const victim = await startNode("victim");
    nodes.push(victim);
    const hostile = `<img src=x onerror="window.__pwned=1;alert(1)">`;
    await victim.cluster.membership.join([{ host: "127.0.0.1", cacheUrl: "http://127.0.0.1:9/<svg/onload=alert(2)>", name: hostile }]);
    const page = await browser.newPage();
    const errors = watchErrors(page);
    let dialogs = 0;
    page.on("dialog", (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });
    await page.goto(`${victim.admin}/_cachecluster/status`, { timeout: 15_000 });
    const cell = page.locator("#members tbody tr").nth(1).locator("td.name");
    assert.equal(await cell.textContent(), hostile, "server-rendered as text");
    await page.waitForFunction(() => Number(document.getElementById("live")?.dataset.polls ?? 0) >= 1, undefined, { timeout: 10_000 });
    assert.equal(await cell.textContent(), hostile, "re-rendered in the browser as text");
    assert.equal(await page.locator("#members img, #members svg").count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(dialogs, 0);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
