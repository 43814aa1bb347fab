import type { ClusterStatus } from "./cluster-status.js";
import { renderStatusBody } from "./status-body.js";

/** Seconds between two refreshes of the status page. */
export const STATUS_REFRESH_MS = 2000;

const STYLE = `
:root{--bg:#f4f6f8;--panel:#fff;--ink:#17202a;--dim:#5d6b7a;--line:#e3e8ee;--accent:#0f766e;--accent-soft:#ccfbf1;
--warn:#b45309;--warn-soft:#fef3c7;--bad:#b91c1c;--bad-soft:#fee2e2;--ok:#15803d;--ok-soft:#dcfce7;--hot:#c2410c;--hot-soft:#ffedd5;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--panel:#161b22;--ink:#e6edf3;--dim:#8b98a5;--line:#2a313a;--accent:#2dd4bf;
--accent-soft:#134e4a;--warn:#fbbf24;--warn-soft:#422006;--bad:#f87171;--bad-soft:#450a0a;--ok:#4ade80;--ok-soft:#052e16;--hot:#fb923c;--hot-soft:#431407}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 20px 8px}
.hero{display:flex;justify-content:space-between;align-items:flex-end;gap:16px;flex-wrap:wrap;margin-bottom:18px}
.eyebrow{text-transform:uppercase;letter-spacing:.08em;font-size:11px;color:var(--dim);font-weight:600}
h1{margin:2px 0 4px;font-size:26px;font-weight:650;word-break:break-all}
h2{margin:0 0 12px;font-size:15px;font-weight:650;display:flex;align-items:center;gap:8px}
h3{margin:18px 0 10px;font-size:13px;font-weight:650;color:var(--dim);text-transform:uppercase;letter-spacing:.06em}
.meta{color:var(--dim)}.sep{margin:0 8px;opacity:.6}
.mono{font-family:var(--mono);font-size:12.5px}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.mode{display:inline-flex;align-items:center;gap:8px;padding:6px 12px;border-radius:999px;font-weight:600;font-size:13px}
.mode .dot{width:8px;height:8px;border-radius:50%;background:currentColor}
.mode-clustered{background:var(--ok-soft);color:var(--ok)}.mode-local{background:var(--warn-soft);color:var(--warn)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin-bottom:16px}
.card,.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px}
.card{padding:14px 16px}.card .label{color:var(--dim);font-size:12px;font-weight:600}
.card .value{font-size:24px;font-weight:650;margin:2px 0;font-variant-numeric:tabular-nums}.card .hint{color:var(--dim);font-size:12px}
.panel{padding:16px 18px;margin-bottom:16px}
.count{background:var(--line);color:var(--dim);border-radius:999px;padding:0 8px;font-size:12px;font-weight:600}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th{text-align:left;font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:var(--dim);font-weight:600;padding:6px 10px;border-bottom:1px solid var(--line);white-space:nowrap}
td{padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:middle}
tbody tr:last-child td{border-bottom:0}tbody tr:hover{background:color-mix(in srgb,var(--accent) 5%,transparent)}
.num{text-align:right;white-space:nowrap}th.num{text-align:right}
td.name{font-weight:600;word-break:break-all}td.name .sub{font-weight:400;font-size:11.5px;color:var(--dim);word-break:normal;white-space:nowrap}td.bad{color:var(--bad);font-weight:650}
tr.self td:first-child{box-shadow:inset 3px 0 0 var(--accent)}
.tag{display:inline-block;white-space:nowrap;word-break:normal;margin-left:6px;padding:0 6px;border-radius:4px;background:var(--accent-soft);color:var(--accent);font-size:11px;font-weight:600;vertical-align:1px}
.pill{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;background:var(--line);color:var(--dim)}
.st-alive,.ev-join{background:var(--ok-soft);color:var(--ok)}.st-suspect,.ev-update{background:var(--warn-soft);color:var(--warn)}
.st-dead,.ev-fail{background:var(--bad-soft);color:var(--bad)}.st-left,.ev-leave{background:var(--line);color:var(--dim)}
.k-main{background:var(--accent-soft);color:var(--accent)}.k-hot{background:var(--hot-soft);color:var(--hot)}
.share-col{width:230px}.share{display:flex;align-items:center;gap:10px}.share .num{min-width:64px;color:var(--dim)}
.bar{flex:1;height:8px;border-radius:99px;background:var(--line);overflow:hidden;display:block;min-width:80px}
.bar i{display:block;height:100%;border-radius:99px;background:var(--accent)}.b-hot i{background:var(--hot)}
.note{color:var(--dim);font-size:12px;margin:10px 0 0}.empty{color:var(--dim);margin:4px 0}
.comp-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px;align-items:start}
.comp{border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.comp-head{display:flex;justify-content:space-between;gap:8px;margin-bottom:6px}.comp-head .label{font-weight:650;text-transform:capitalize}
dl{display:grid;grid-template-columns:1fr auto;gap:2px 12px;margin:0;font-size:12.5px}dt{color:var(--dim);font-family:var(--mono);word-break:break-all}dd{margin:0}
.events{list-style:none;margin:0;padding:0;max-height:320px;overflow-y:auto}
.events li{display:flex;gap:10px;align-items:baseline;padding:6px 0;border-bottom:1px solid var(--line);flex-wrap:wrap}.events li:last-child{border-bottom:0}
.events time{font-family:var(--mono);font-size:12px;min-width:150px}.ago,.dim{color:var(--dim)}
footer{max-width:1180px;margin:0 auto;padding:4px 20px 28px;color:var(--dim);font-size:12px;display:flex;gap:12px;justify-content:space-between;flex-wrap:wrap}
.alert{border-color:var(--warn);background:var(--warn-soft);color:var(--warn)}.problem{color:var(--bad);margin:4px 0 8px;font-size:12.5px}
.live::before{content:"";display:inline-block;width:7px;height:7px;border-radius:50%;background:var(--dim);margin-right:6px;vertical-align:1px}
.live.ok::before{background:var(--ok)}.live.err{color:var(--bad)}.live.err::before{background:var(--bad)}
`;

/**
 * The whole status page: server-rendered body, inline CSS, and a small inline script (allowed by `nonce`
 * through the page's Content-Security-Policy) that polls `status.json` and re-renders with the same
 * `renderStatusBody`. No external assets.
 */
export function renderStatusPage(status: ClusterStatus, nonce: string): string {
  const title = escapeHtml(`${status.node.name} · cachecluster`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<main id="app">${renderStatusBody(status)}</main>
<footer><span id="live" class="live">live · refreshes every ${STATUS_REFRESH_MS / 1000} s</span><span><a href="status.json">status.json</a> · <a href="metrics">metrics</a></span></footer>
<script nonce="${escapeHtml(nonce)}">${clientScript()}</script>
</body>
</html>
`;
}

/** The browser side: poll status.json, re-render, show whether the last poll worked. */
export function clientScript(): string {
  const source = `(() => {
  "use strict";
  const renderStatusBody = ${renderStatusBody.toString()};
  const app = document.getElementById("app");
  const live = document.getElementById("live");
  let polls = 0;
  async function refresh() {
    try {
      if (document.hidden) return;
      const res = await fetch("status.json", { cache: "no-store", headers: { accept: "application/json" } });
      if (!res.ok) throw new Error("HTTP " + res.status);
      const status = await res.json();
      app.innerHTML = renderStatusBody(status);
      document.title = status.node.name + " · cachecluster";
      polls++;
      live.className = "live ok";
      live.textContent = "live · updated " + new Date(status.generatedAt).toISOString().slice(11, 19) + " UTC";
      live.dataset.polls = String(polls);
    } catch (error) {
      live.className = "live err";
      live.textContent = "not updating: " + (error && error.message ? error.message : String(error));
    } finally {
      setTimeout(refresh, ${STATUS_REFRESH_MS});
    }
  }
  setTimeout(refresh, ${STATUS_REFRESH_MS});
})();`;
  // A `</script` or `<!--` inside the script would end or confuse the element; `<\/` means the same in JS.
  return source.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}
