import type { ClusterStatus } from "./cluster-status.js";

/**
 * Renders the body of the status page from a status snapshot. The same function runs on the server (first
 * paint) and in the browser (every refresh): the page embeds its source, so it must stay self-contained —
 * no imports, no references to anything outside its own body. Every value that came from the network or
 * the user (member names, URLs, group names, event data) goes through `esc`.
 */
export function renderStatusBody(s: ClusterStatus): string {
  const esc = (v: unknown): string => String(v).replace(/[&<>"'`]/g, (c) => "&#" + String(c.charCodeAt(0)) + ";");
  const int = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const pct = (r: number | null, digits = 1): string => (r === null ? "—" : (r * 100).toFixed(digits) + "%");
  const bytes = (n: number): string => {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = n;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return (u === 0 ? String(v) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)) + " " + String(units[u]);
  };
  const duration = (ms: number): string => {
    let t = Math.floor(ms / 1000);
    const d = Math.floor(t / 86400);
    t -= d * 86400;
    const h = Math.floor(t / 3600);
    t -= h * 3600;
    const m = Math.floor(t / 60);
    const sec = t - m * 60;
    if (d > 0) return String(d) + "d " + String(h) + "h " + String(m) + "m";
    if (h > 0) return String(h) + "h " + String(m) + "m " + String(sec) + "s";
    if (m > 0) return String(m) + "m " + String(sec) + "s";
    return String(sec) + "s";
  };
  const iso = (at: number): string => (Number.isFinite(at) && Math.abs(at) < 8.64e15 ? new Date(at).toISOString() : "—");
  const clock = (at: number): string => iso(at).slice(11, 19) || "—";
  const ago = (at: number): string => (s.generatedAt - at < 1000 ? "just now" : duration(s.generatedAt - at) + " ago");
  const bar = (fraction: number, cls: string): string =>
    '<span class="bar ' + cls + '"><i style="width:' + String(Math.max(0, Math.min(100, fraction * 100)).toFixed(2)) + '%"></i></span>';
  const link = (url: string): string =>
    /^https?:\/\/[^\s"'<>`]+$/i.test(url)
      ? '<a class="mono" href="' + esc(url.replace(/\/+$/, "") + "/_cachecluster/status") + '" rel="noreferrer">' + esc(url) + "</a>"
      : '<span class="mono">' + esc(url) + "</span>";
  const state = (st: string): string => '<span class="pill st-' + esc(st) + '">' + esc(st) + "</span>";
  const card = (label: string, value: string, hint: string, stat: string): string =>
    '<div class="card"><div class="label">' +
    label +
    '</div><div class="value" data-stat="' +
    stat +
    '">' +
    value +
    '</div><div class="hint">' +
    hint +
    "</div></div>";

  let gets = 0;
  let hits = 0;
  let peerLoads = 0;
  let peerErrors = 0;
  let served = 0;
  let cachedBytes = 0;
  let cachedItems = 0;
  for (const g of s.groups) {
    gets += g.stats.gets;
    hits += g.stats.cacheHits;
    peerLoads += g.stats.peerLoads;
    peerErrors += g.stats.peerErrors;
    served += g.stats.serverRequests;
    cachedBytes += g.caches.main.bytes + g.caches.hot.bytes;
    cachedItems += g.caches.main.items + g.caches.hot.items;
  }
  const alive = s.members.filter((m) => m.state === "alive").length;
  const suspect = s.members.filter((m) => m.state === "suspect").length;

  let html = "";
  html +=
    '<header class="hero"><div><div class="eyebrow">cachecluster node</div><h1 id="node-name">' +
    esc(s.node.name) +
    '</h1><div class="meta">' +
    link(s.node.url) +
    '<span class="sep">·</span>up <span id="uptime">' +
    duration(s.node.uptimeMs) +
    '</span><span class="sep">·</span>' +
    esc(s.node.state) +
    '<span class="sep">·</span><span id="version">cachecluster ' +
    esc(s.node.version) +
    " · Node " +
    esc(s.node.nodeVersion) +
    '</span></div></div><div class="mode mode-' +
    esc(s.mode) +
    '" id="mode"><span class="dot"></span>' +
    (s.mode === "clustered" ? "clustered · " + String(s.ring.peers.length) + " on the ring" : "local mode") +
    "</div></header>";

  if (s.localModeReason !== null) {
    html += '<p class="panel alert" id="local-mode-reason"><strong>Alone on the ring:</strong> ' + esc(s.localModeReason) + "</p>";
  }
  let rateGets = 0;
  for (const g of s.groups) rateGets += g.ratesPerSecond === null ? 0 : g.ratesPerSecond.gets;
  const perSecond = (n: number): string => (n >= 100 ? int(n) : n.toFixed(n >= 10 ? 1 : 2)) + "/s";

  html += '<section class="cards">';
  html += card("Members", int(s.members.length), int(alive) + " alive · " + int(suspect) + " suspect", "members");
  html += card(
    "Gets",
    int(gets),
    (s.rateWindowMs === null ? "" : perSecond(rateGets) + " · ") + "in " + int(s.groups.length) + (s.groups.length === 1 ? " group" : " groups"),
    "gets",
  );
  html += card("Hit ratio", pct(gets > 0 ? hits / gets : null), int(hits) + " served from cache", "hit-ratio");
  html += card("Cached", bytes(cachedBytes), int(cachedItems) + " items, main + hot", "cached");
  html += card("Peer traffic", int(peerLoads) + " / " + int(peerErrors), "peer loads / errors · " + int(served) + " served to peers", "peer");
  html += "</section>";

  html += '<section class="panel" id="members"><h2>Members <span class="count">' + int(s.members.length) + "</span></h2>";
  if (s.members.length === 0) {
    html += '<p class="empty">Membership reports no members.</p>';
  } else {
    html +=
      '<div class="scroll"><table><thead><tr><th>Member</th><th>Cache URL</th><th>Gossip address</th><th>State</th><th class="num">Incarnation</th><th class="share-col">Ring share</th></tr></thead><tbody>';
    for (const m of s.members) {
      html +=
        '<tr data-member="' +
        esc(m.id) +
        '"' +
        (m.self ? ' class="self"' : "") +
        '><td class="name">' +
        esc(m.id) +
        (m.self ? ' <span class="tag">this node</span>' : "") +
        "</td><td>" +
        link(m.cacheUrl) +
        '</td><td class="mono">' +
        esc(m.address) +
        "</td><td>" +
        state(m.state) +
        '</td><td class="num">' +
        int(m.incarnation) +
        '</td><td class="share-col"><div class="share">' +
        bar(m.share, "b-share") +
        '<span class="num" data-stat="share">' +
        pct(m.share) +
        "</span></div></td></tr>";
    }
    html += "</tbody></table></div>";
  }
  const orphans = s.ring.peers.filter((p) => p.member === null);
  if (orphans.length > 0) {
    html +=
      '<p class="note">On the ring without a member entry: ' +
      orphans.map((p) => '<span class="mono">' + esc(p.url) + "</span> " + pct(p.share)).join(", ") +
      "</p>";
  }
  html += '<p class="note">Ring: ' + int(s.ring.peers.length) + " peers × " + int(s.ring.replicas) + " virtual nodes (crc32, golang/groupcache order).</p>";
  if (s.departed.length > 0) {
    html +=
      '<h3>Failed or left</h3><div class="scroll"><table id="departed"><thead><tr><th>Member</th><th>Cache URL</th><th>State</th><th>Since</th></tr></thead><tbody>';
    for (const d of s.departed) {
      html +=
        '<tr data-departed="' +
        esc(d.id) +
        '"><td class="name">' +
        esc(d.id) +
        "</td><td>" +
        link(d.cacheUrl) +
        "</td><td>" +
        state(d.state) +
        '</td><td class="mono">' +
        clock(d.at) +
        ' <span class="ago">' +
        ago(d.at) +
        "</span></td></tr>";
    }
    html += "</tbody></table></div>";
  }
  if (s.ejectedPeers.length > 0) {
    html +=
      '<h3>Ejected peers (their keys load here)</h3><div class="scroll"><table id="ejected"><thead><tr><th>Peer</th><th>State</th><th class="num">Ejections</th><th>Until</th><th>Last error</th></tr></thead><tbody>';
    for (const e of s.ejectedPeers) {
      html +=
        "<tr><td>" +
        link(e.peer) +
        '</td><td><span class="pill st-suspect">' +
        esc(e.state) +
        '</span></td><td class="num">' +
        int(e.ejections) +
        '</td><td class="mono">' +
        clock(e.until) +
        '</td><td class="dim">' +
        esc(e.lastError) +
        "</td></tr>";
    }
    html += "</tbody></table></div>";
  }
  html += "</section>";

  html += '<section class="panel" id="groups"><h2>Groups <span class="count">' + int(s.groups.length) + "</span></h2>";
  if (s.groups.length === 0) {
    html += '<p class="empty">No groups yet: <code>cluster.group(name, { load })</code> creates one.</p>';
  } else {
    html +=
      '<div class="scroll"><table><thead><tr><th>Group</th><th class="num">Gets</th><th class="num">Cache hits</th><th class="num">Hit ratio</th><th class="num">Loads</th><th class="num">After dedup</th><th class="num">Local loads</th><th class="num">Local errors</th><th class="num">Peer loads</th><th class="num">Peer errors</th><th class="num">From peers</th><th class="num">Gets/s</th><th class="num">Loads/s</th></tr></thead><tbody>';
    for (const g of s.groups) {
      const st = g.stats;
      const cell = (key: string, value: number, bad?: boolean): string =>
        '<td class="num' + (bad === true && value > 0 ? " bad" : "") + '" data-stat="' + key + '">' + int(value) + "</td>";
      html +=
        '<tr data-group="' +
        esc(g.name) +
        '"><td class="name">' +
        esc(g.name) +
        '<div class="sub">budget ' +
        bytes(g.maxBytes) +
        "</div></td>" +
        cell("gets", st.gets) +
        cell("cache-hits", st.cacheHits) +
        '<td class="num" data-stat="hit-ratio">' +
        pct(g.hitRatio) +
        "</td>" +
        cell("loads", st.loads) +
        cell("loads-deduped", st.loadsDeduped) +
        cell("local-loads", st.localLoads) +
        cell("local-load-errors", st.localLoadErrs, true) +
        cell("peer-loads", st.peerLoads) +
        cell("peer-errors", st.peerErrors, true) +
        cell("server-requests", st.serverRequests) +
        '<td class="num" data-stat="gets-per-second">' +
        (g.ratesPerSecond === null ? "—" : perSecond(g.ratesPerSecond.gets)) +
        '</td><td class="num" data-stat="loads-per-second">' +
        (g.ratesPerSecond === null ? "—" : perSecond(g.ratesPerSecond.localLoads)) +
        "</td></tr>";
    }
    html += "</tbody></table></div>";
    html +=
      '<h3>Caches</h3><div class="scroll"><table id="caches"><thead><tr><th>Group</th><th>Cache</th><th class="num">Bytes</th><th class="num">Items</th><th class="num">Gets</th><th class="num">Hits</th><th class="num">Hit ratio</th><th class="num">Evictions</th><th class="share-col">Of group budget</th></tr></thead><tbody>';
    for (const g of s.groups) {
      for (const kind of ["main", "hot"] as const) {
        const c = g.caches[kind];
        html +=
          '<tr data-cache="' +
          esc(g.name) +
          "/" +
          kind +
          '"><td class="name">' +
          esc(g.name) +
          '</td><td><span class="pill k-' +
          kind +
          '">' +
          kind +
          '</span></td><td class="num" data-stat="bytes">' +
          bytes(c.bytes) +
          '</td><td class="num" data-stat="items">' +
          int(c.items) +
          '</td><td class="num">' +
          int(c.gets) +
          '</td><td class="num">' +
          int(c.hits) +
          '</td><td class="num">' +
          pct(c.hitRatio) +
          '</td><td class="num" data-stat="evictions">' +
          int(c.evictions) +
          '</td><td class="share-col"><div class="share">' +
          bar(g.maxBytes > 0 ? c.bytes / g.maxBytes : 0, "b-" + kind) +
          '<span class="num">' +
          pct(g.maxBytes > 0 ? c.bytes / g.maxBytes : null) +
          "</span></div></td></tr>";
      }
    }
    html += "</tbody></table></div>";
  }
  html += "</section>";

  const components = (["transport", "membership", "discovery"] as const).filter((k) => s.components[k] !== null);
  if (components.length > 0) {
    html += '<section class="panel" id="components"><h2>Components</h2><div class="comp-grid">';
    for (const role of components) {
      const c = s.components[role];
      if (c === null) continue;
      html += '<div class="comp"><div class="comp-head"><span class="label">' + role + '</span><span class="mono">' + esc(c.kind) + "</span></div>";
      if (c.problem !== null) html += '<p class="problem" data-problem="' + role + '">' + esc(c.problem) + "</p>";
      if (c.lastError !== null) {
        html +=
          '<p class="dim" data-last-error="' +
          role +
          '">last error ' +
          clock(c.lastError.at) +
          " (" +
          ago(c.lastError.at) +
          "): " +
          esc(c.lastError.message) +
          "</p>";
      }
      const entries = c.stats === null ? [] : Object.entries(c.stats);
      if (entries.length === 0) {
        html += '<p class="empty">no stats</p>';
      } else {
        html += "<dl>";
        for (const [k, v] of entries) {
          html += "<dt>" + esc(k) + '</dt><dd class="num">' + (Number.isInteger(v) ? int(v) : esc(v.toFixed(3))) + "</dd>";
        }
        html += "</dl>";
      }
      html += "</div>";
    }
    html += "</div></section>";
  }

  html += '<section class="panel" id="events"><h2>Recent membership events <span class="count">' + int(s.events.length) + "</span></h2>";
  if (s.events.length === 0) {
    html += '<p class="empty">No membership events yet.</p>';
  } else {
    html += '<ol class="events">';
    for (const e of s.events) {
      html +=
        '<li><time title="' +
        esc(iso(e.at)) +
        '">' +
        clock(e.at) +
        ' <span class="ago">' +
        ago(e.at) +
        '</span></time><span class="pill ev-' +
        esc(e.type) +
        '">' +
        esc(e.type) +
        '</span><span class="name">' +
        esc(e.member.id) +
        '</span><span class="mono dim">' +
        esc(e.member.cacheUrl) +
        '</span><span class="dim">' +
        esc(e.member.state) +
        " · inc " +
        int(e.member.incarnation) +
        "</span></li>";
    }
    html += "</ol>";
  }
  html += "</section>";

  const sections = Object.entries(s.config);
  if (sections.length > 0) {
    html += '<section class="panel" id="config"><h2>Config in effect</h2><div class="scroll"><table><thead><tr><th>Key</th><th>Value</th></tr></thead><tbody>';
    for (const [section, keys] of sections) {
      for (const [key, value] of Object.entries(keys)) {
        html +=
          '<tr><td class="mono">[' +
          esc(section) +
          "] " +
          esc(key) +
          '</td><td class="mono">' +
          esc(value === undefined ? "—" : typeof value === "string" ? value : JSON.stringify(value)) +
          "</td></tr>";
      }
    }
    html += '</tbody></table></div><p class="note">Secrets show as &lt;redacted&gt;.</p></section>';
  }
  return html;
}
