/**
 * The self-contained, deterministic evidence report: one HTML file, inline CSS and script, no network.
 * Same evidence data, same bytes: nothing here reads a clock or a random source.
 */
import type { EvidenceData } from "./collect.js";
import { VERIFY_SCRIPT } from "./verify-script.js";
import { reviewSectionHtml } from "./reviews.js";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** JSON inside <script>: no "</script>", no HTML comment openers. */
const scriptJson = (v: unknown) =>
  JSON.stringify(v).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");

export function duration(ms: number | null): string {
  if (ms === null) return "n/a";
  const h = ms / 3_600_000;
  if (h < 1) return `${Math.round(ms / 60_000)} min`;
  if (h < 48) return `${h.toFixed(1)} h`;
  return `${(h / 24).toFixed(1)} d`;
}
const pct = (x: number | null) => (x === null ? "n/a" : `${(x * 100).toFixed(1)}%`);

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;--ok:#1a7f37;--bad:#cf222e;--line:#d0d7de}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#8b949e;--ok:#3fb950;--bad:#f85149;--line:#30363d}}
body{font:14px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);max-width:1100px;margin:2em auto;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid var(--line)}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid var(--line);padding:.3em .5em;text-align:left;vertical-align:top}
code,pre{font:12px ui-monospace,monospace}pre{white-space:pre-wrap;word-break:break-all}
#verification{padding:.8em;border-radius:6px;border:2px solid var(--line);font-weight:600}
#verification.ok{border-color:var(--ok);color:var(--ok)}#verification.bad{border-color:var(--bad);color:var(--bad)}
.met{color:var(--ok)}.failed{color:var(--bad)}.none{color:var(--muted)}small{color:var(--muted)}
input{width:70%;font:12px ui-monospace,monospace}
`;

export function renderHtml(d: EvidenceData): string {
  const t = d.dora.total;
  const controls = d.controls
    .map((c) => {
      const cls = c.status === "met" ? "met" : c.status === "failed" ? "failed" : "none";
      const cites = c.cited.length ? c.cited.map((s) => `<a href="#e${s}">#${s}</a>`).join(" ") : "<small>none</small>";
      return `<tr data-control="${esc(c.id)}"><td><code>${esc(c.id)}</code><br><small>${esc(c.citation)}</small></td><td>${esc(c.title)}</td><td class="${cls}">${esc(c.status)}</td><td>${c.met}/${c.failed}</td><td>${cites}${c.uncited ? ` <small>(+${c.uncited} more in the period)</small>` : ""}</td></tr>`;
    })
    .join("\n");
  const groups = d.dora.groups
    .map(
      (g) =>
        `<tr><td>${esc(g.service)}</td><td>${esc(g.env)}</td><td>${g.deployments}</td><td>${g.deploymentFrequencyPerDay.toFixed(3)}</td><td>${duration(g.leadTimeMedianMs)}</td><td>${pct(g.changeFailureRate)}</td><td>${duration(g.recoveryMedianMs)}</td></tr>`,
    )
    .join("\n");
  const entries = d.entries
    .map((e) => {
      const parsed = JSON.parse(e.canonical) as { time: string; type: string; actor: string; subject?: string };
      return `<tr id="e${e.seq}"><td>${e.seq}</td><td>${esc(parsed.time)}</td><td><code>${esc(parsed.type)}</code></td><td>${esc(parsed.actor)}</td><td><code>${esc(parsed.subject ?? "")}</code></td></tr>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en" data-verified="pending">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>Evidence report ${esc(d.period.from.slice(0, 10))} to ${esc(d.period.to.slice(0, 10))}</title>
<style>${CSS}</style>
</head>
<body>
<h1>Evidence report</h1>
<p>Period ${esc(d.period.from)} to ${esc(d.period.to)} (end exclusive). Controls: ${esc(d.frameworks.join(", "))}. Ledger <code>${esc(d.checkpoint.origin)}</code>, checkpoint of size ${d.checkpoint.size}, root <code>${esc(d.checkpoint.rootHash)}</code>; ${d.entriesInPeriod} entries in the period, ${d.entries.length} cited.</p>
<div id="verification" role="status" aria-live="polite">verifying in this browser...</div>
<form id="key-form"><label for="key-input">Verifier key (paste the one you obtained independently):</label><br><input id="key-input" value="${esc(d.verifierKey)}" spellcheck="false"> <button type="submit">Verify</button></form>
<p><small>This file checks itself with WebCrypto: the checkpoint's Ed25519 signature against the key above, then each cited entry's SHA-256 leaf hash and RFC 9162 inclusion proof against the checkpoint's root. The key embedded here is only as trustworthy as where the file came from: compare it with the key you hold. Nothing is fetched.</small></p>
<h2>Controls</h2>
<table><thead><tr><th>control</th><th>title</th><th>status</th><th>checks met/failed</th><th>evidence (ledger entries)</th></tr></thead>
<tbody>
${controls}
</tbody></table>
<h2>Delivery (DORA)</h2>
<p>Deployments ${t.deployments} (successful ${t.successful}, failed ${t.failed}); deployment frequency ${t.deploymentFrequencyPerDay.toFixed(3)} per day; change lead time (median) ${duration(t.leadTimeMedianMs)}; change failure rate ${pct(t.changeFailureRate)}; failed deployment recovery time (median) ${duration(t.recoveryMedianMs)}${t.unrecovered ? `, ${t.unrecovered} not recovered` : ""}.</p>
<p><small>DORA's definitions: deployment frequency, successful deployments per day; change lead time, from commit to successful deployment; change failure rate, deployments failed, rolled back, or followed by a rollback or incident before the next deployment, over all deployments; failed deployment recovery time, from the failed deployment to a rollback, the next successful deployment or the incident's resolution.</small></p>
<table><thead><tr><th>service</th><th>environment</th><th>deployments</th><th>per day</th><th>lead time</th><th>failure rate</th><th>recovery</th></tr></thead>
<tbody>
${groups}
</tbody></table>
<h2>LLM calls</h2>
<p>${d.llm.calls} calls through the gateway and the proxy, ${d.llm.refused} refused.</p>
${d.reviews ? reviewSectionHtml(d.reviews) : ""}<h2>Cited entries</h2>
<table><thead><tr><th>seq</th><th>time</th><th>type</th><th>actor</th><th>subject</th></tr></thead>
<tbody>
${entries}
</tbody></table>
<h2>Signed checkpoint</h2>
<pre>${esc(d.checkpoint.note)}</pre>
<script type="application/json" id="evidence-data">${scriptJson(d)}</script>
<script>${VERIFY_SCRIPT}</script>
</body>
</html>
`;
}
