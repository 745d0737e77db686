// The dashboard and the evidence report on a 100,000-entry ledger (DASHBOARD_BENCH_ENTRIES), built
// here through AuditLedger.appendBatch with a mix of the entry types the metrics read (compliance
// checks, deployments, incidents, LLM calls, check results) over 90 days, then checkpointed.
// Measured: (1) first load of the dashboard in Chromium (playwright-core, /usr/bin/chromium): time from
// navigation to the overview's numbers on screen, cold (the service parses the ledger on that first
// request) and warm, with the same page on a 1,000-entry ledger as the in-run baseline; (2) the JS the
// page ships, gzipped; (3) `gitops-health report` (HTML) wall time on the 100,000 entries, with
// `gitops-health --version` (node start) as the baseline, and, with DASHBOARD_BENCH_BASE=<dir of another
// build>, that build's `report` on the same ledger, alternating with this one (same-run A/B). Wall and
// CPU time (user + system, from /usr/bin/time) for each process; the overview API's CPU in the service.
// Targets (issue 21): < 1 s, < 200 KB, < 10 s.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { AuditLedger } from "../src/audit/ledger.js";
import { DirStore } from "../src/audit/dir-store.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { median, writeBenchSection } from "./lib/report.js";

const root = new URL("..", import.meta.url).pathname;
const CLI = join(root, "dist", "cli.js");
const UI = join(root, "ui", "dist");
const CHROMIUM = "/usr/bin/chromium";
const N = Number(process.env.DASHBOARD_BENCH_ENTRIES ?? 100_000);
const REPS = Number(process.env.DASHBOARD_BENCH_REPS ?? 3);
const BASE = process.env.DASHBOARD_BENCH_BASE;
const TIME = "/usr/bin/time";
if (!existsSync(join(UI, "index.html")) || !existsSync(CLI)) {
  console.error("build first: npm run build");
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), "gh-dashboard-bench-"));
const T0 = Date.parse("2026-09-01T00:00:00Z");
const SPAN = 90 * 86_400_000;

async function buildLedger(path: string, n: number): Promise<{ ledger: AuditLedger; pub: string }> {
  let clock = T0;
  const ledger = new AuditLedger(await DirStore.open(path), { now: () => new Date(clock) });
  const sha = (i: number) => (i * 2654435761).toString(16).padStart(40, "0").slice(-40);
  for (let i = 0; i < n; i += 1000) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 1000); k++) {
      const at = new Date(T0 + Math.floor((k / n) * SPAN)).toISOString();
      const svc = `svc${k % 7}`;
      switch (k % 10) {
        case 0:
        case 1:
        case 2:
        case 3:
          batch.push({
            type: "compliance.check",
            actor: "ci@example.invalid",
            subject: sha(k),
            payload: {
              pack: "clinical",
              violations: k % 13 === 0 ? 1 : 0,
              failing: k % 13 === 0 ? 1 : 0,
              controls: { "SOX-ITGC-CM-1": "met", "HIPAA-164.312(b)": k % 13 === 0 ? "failed" : "met" },
            },
          });
          break;
        case 4:
        case 5:
          batch.push({
            type: k % 30 === 5 ? "deploy.failed" : "deploy.succeeded",
            actor: "cd@example.invalid",
            subject: `${svc}@prod`,
            payload: {
              service: svc,
              env: "prod",
              version: `1.${k}`,
              status: k % 30 === 5 ? "failed" : "succeeded",
              commit: sha(k - 4),
              image: null,
              occurredAt: at,
            },
          });
          break;
        case 6:
          batch.push({
            type: k % 20 === 6 ? "incident.opened" : "incident.resolved",
            actor: "oncall@example.invalid",
            subject: `INC-${Math.floor(k / 20)}`,
            payload: {
              id: `INC-${Math.floor(k / 20)}`,
              service: svc,
              env: "prod",
              status: k % 20 === 6 ? "open" : "resolved",
              severity: "sev3",
              occurredAt: at,
            },
          });
          break;
        case 7:
        case 8:
          batch.push({
            type: "llm.call",
            actor: "dev@example.invalid",
            subject: "commit-message",
            payload: {
              provider: "test",
              model: k % 3 ? "model-a" : "model-b",
              classification: "internal",
              outcome: k % 50 === 7 ? "refused" : "ok",
              redactions: { EMAIL: k % 4 },
            },
          });
          break;
        default:
          batch.push({
            type: "check",
            actor: "ci@example.invalid",
            subject: sha(k - 9),
            payload: { name: "unit", status: "passed" },
          });
      }
    }
    clock = T0 + Math.floor((i / n) * SPAN);
    await ledger.appendBatch(batch);
  }
  clock = T0 + SPAN;
  const { signer, verifierKey } = generateNoteSigner("gitops-health/bench");
  await ledger.checkpoint(signer);
  const pub = join(path, "..", `${n}.pub`);
  writeFileSync(pub, verifierKey + "\n");
  return { ledger, pub };
}

const t = performance.now();
const big = await buildLedger(join(dir, "big"), N);
const buildS = (performance.now() - t) / 1000;
const small = await buildLedger(join(dir, "small"), 1000);
console.error(`ledgers built: ${N} entries in ${buildS.toFixed(1)} s`);

// ---- (1) first load in Chromium
const { chromium } = await import("playwright-core");
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
async function firstLoad(
  ledger: AuditLedger,
): Promise<{ cold: number[]; warm: number[]; apiCpu: number[]; apiWall: number[] }> {
  const cold: number[] = [];
  const warm: number[] = [];
  const apiCpu: number[] = [];
  const apiWall: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const store = new FileTokenStore(join(dir, `tokens-${r}-${Math.random()}.json`));
    const token = (await createToken(store, { name: "bench", scopes: ["scan"] })).token;
    // a new service each repetition: its first request parses the ledger (cold)
    // the service's own full verification (30 s after start, then hourly; in a worker thread, see
    // bench/dashboard-verify.bench.ts): kept out of the page loads measured here, stated with the results
    const app = await buildApp({
      ledger,
      tokens: store,
      digestKey: "bench",
      logStream: false,
      uiDir: UI,
      dashboardVerifyDelayMs: 3_600_000,
    });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    for (const list of [cold, warm]) {
      if (list === warm) {
        // the overview API alone, on the warm service: CPU of this process (the service) per request
        for (let k = 0; k < 3; k++) {
          const c0 = process.cpuUsage();
          const w0 = performance.now();
          const res = await fetch(`${base}/v1/dashboard/overview?from=2026-09-01&to=2026-12-01`, {
            headers: { authorization: `Bearer ${token}` },
          });
          await res.text();
          const c = process.cpuUsage(c0);
          apiCpu.push((c.user + c.system) / 1000);
          apiWall.push(performance.now() - w0);
        }
      }
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await ctx.addInitScript({ content: `sessionStorage.setItem("gh-token", ${JSON.stringify(token)})` });
      const page = await ctx.newPage();
      const s = performance.now();
      await page.goto(`${base}/overview?from=2026-09-01&to=2026-12-01`);
      await page.waitForSelector('[data-loaded="overview"] [data-metric="ledger-size"]');
      list.push(performance.now() - s);
      await ctx.close();
    }
    await app.close();
  }
  return { cold, warm, apiCpu, apiWall };
}
const loadBig = await firstLoad(big.ledger);
const loadSmall = await firstLoad(small.ledger);
await browser.close();

// ---- (2) JS shipped
const assets = readdirSync(join(UI, "assets"));
const js = assets.filter((f) => f.endsWith(".js"));
const jsRaw = js.reduce((s, f) => s + statSync(join(UI, "assets", f)).size, 0);
const jsGz = js.reduce((s, f) => s + gzipSync(readFileSync(join(UI, "assets", f)), { level: 9 }).length, 0);
const cssGz = assets
  .filter((f) => f.endsWith(".css"))
  .reduce((s, f) => s + gzipSync(readFileSync(join(UI, "assets", f)), { level: 9 }).length, 0);

// ---- (3) report generation
await big.ledger.close();
await small.ledger.close();
interface Timed {
  wall: number[];
  cpu: number[];
}
/** Wall time, and CPU time (user + system) from /usr/bin/time when it is there. */
function timed(args: string[], cli = CLI, into: Timed = { wall: [], cpu: [] }, reps = REPS): Timed {
  const withTime = existsSync(TIME);
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    const cmd = withTime ? TIME : process.execPath;
    const argv = withTime ? ["-f", "cpu %U %S", process.execPath, cli, ...args] : [cli, ...args];
    const p = spawnSync(cmd, argv, {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", GITOPS_HEALTH_LEDGER: "" },
    });
    into.wall.push(performance.now() - s);
    if (p.status !== 0) throw new Error(`${args.join(" ")}: ${p.stderr}`);
    const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(p.stderr);
    if (m) into.cpu.push((Number(m[1]) + Number(m[2])) * 1000);
  }
  return into;
}
const reportArgs = (n: string, pub: string, out: string, fmt = "html") => [
  "report",
  "--ledger",
  join(dir, n),
  "--key",
  `@${pub}`,
  "--from",
  "2026-09-01",
  "--to",
  "2026-12-01",
  "--format",
  fmt,
  "--out",
  out,
];
const version = timed(["--version"]);
const reportBig: Timed = { wall: [], cpu: [] };
const reportBase: Timed = { wall: [], cpu: [] };
const baseCli = BASE ? join(BASE, "dist", "cli.js") : undefined;
// alternating with the other build when given (A B, B A, ...), so both see the same load
for (let r = 0; r < REPS; r++) {
  const order = r % 2 ? [baseCli, CLI] : [CLI, baseCli];
  for (const cli of order)
    if (cli) timed(reportArgs("big", big.pub, join(dir, "big.html")), cli, cli === CLI ? reportBig : reportBase, 1);
}
const oscalBig = timed(reportArgs("big", big.pub, join(dir, "big.json"), "oscal"));
const reportSmall = timed(reportArgs("small", small.pub, join(dir, "small.html")));
const htmlSize = statSync(join(dir, "big.html")).size;
const load = loadavg()
  .map((x) => x.toFixed(2))
  .join(", ");

const ms = (xs: number[]) => (xs.length ? `${Math.round(median(xs))} ms` : "n/a");
const both = (t: Timed) => `${ms(t.wall)} (CPU ${ms(t.cpu)})`;
const md = `
Ledger of ${N.toLocaleString("en")} entries (compliance checks, deployments, incidents, LLM calls, check results over 90 days; built in ${buildS.toFixed(1)} s through \`appendBatch\`), a 1,000-entry ledger as the baseline. Median of ${REPS}; load average during the run: ${load} (2 cores shared with other work: compare rows within this run; CPU time is user + system of the process).

| measure | ${N.toLocaleString("en")} entries | 1,000 entries | target |
| --- | --- | --- | --- |
| dashboard first load on a running service (navigation → overview numbers, Chromium; the service read the ledger at start-up) | ${ms(loadBig.warm)} | ${ms(loadSmall.warm)} | < 1 s |
| dashboard load right after start-up (the first request waits for the start-up read) | ${ms(loadBig.cold)} | ${ms(loadSmall.cold)} | |
| the overview API alone on the running service (wall; CPU of the service) | ${ms(loadBig.apiWall)} (CPU ${ms(loadBig.apiCpu)}) | ${ms(loadSmall.apiWall)} (CPU ${ms(loadSmall.apiCpu)}) | |
| \`report\` HTML (whole process) | ${both(reportBig)} | ${both(reportSmall)} | < 10 s |
${BASE ? `| \`report\` HTML by the other build (${BASE}), alternating with the row above | ${both(reportBase)} | | |\n` : ""}| \`report --format oscal\` (whole process) | ${both(oscalBig)} | | |
| \`--version\` (node start, baseline) | ${both(version)} | | |

The service verifies the whole ledger 30 s after start and then hourly (\`AuditLedger.verify\`, in a worker thread since this run: \`src/server/verify-worker.ts\`, so requests are answered while it runs, test/dashboard-verify.test.ts); the loads above were kept apart from it.

JS shipped: ${js.length} file(s), ${(jsRaw / 1024).toFixed(1)} KB, **${(jsGz / 1024).toFixed(1)} KB gzipped** (target < 200 KB; Preact + uPlot + the pages); CSS ${(cssGz / 1024).toFixed(1)} KB gzipped. The HTML report for the period is ${(htmlSize / 1024).toFixed(0)} KB (at most 200 cited entries per control, each with its inclusion proof).
`;
console.log(md);
writeBenchSection("dashboard", "npm run bench -- dashboard", md);
rmSync(dir, { recursive: true, force: true });
