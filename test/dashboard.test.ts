/**
 * The dashboard in a real browser (Chromium through playwright-core) against the real service on
 * port 0, seeded with a real ledger (test/helpers/evidence-ledger.ts). Every number on the pages is
 * checked against values computed here from the scenario, independently of src/metrics.
 * Screenshots of each page go to test/artifacts/dashboard/ (GITOPS_HEALTH_SCREENSHOTS=docs also
 * refreshes the two in docs/).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Browser, Page } from "playwright-core";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { CONTROLS } from "../src/policy/controls.js";
import { makeRepo, runCli, type TempRepo } from "./helpers/repo.js";
import { controlStatus, seedLedger, type SeededLedger, type ScenarioDeploy } from "./helpers/evidence-ledger.js";
import { makeProducer } from "./helpers/producer.js";
import { appendPipeline } from "../src/pipeline/ledger.js";

const CHROMIUM = "/usr/bin/chromium";
const UI = resolve("ui/dist/index.html");
const missing = !existsSync(CHROMIUM)
  ? "no /usr/bin/chromium (apt-get install chromium)"
  : !existsSync(UI)
    ? "ui/dist not built (npm run build:ui)"
    : "";
if (missing) console.warn(`dashboard browser tests skipped: ${missing}`);
const ARTIFACTS = resolve("test/artifacts/dashboard");
const RANGE = "from=2026-11-02&to=2026-11-30";
const DAYS = 28;

// ------------------------------------------------------------------ expected values, from the scenario alone

interface Expected {
  deployments: number;
  successful: number;
  failed: number;
  perDay: string;
  cfr: string;
  recovery: string;
  lead: string;
}
function expectedFor(deploys: ScenarioDeploy[]): Expected {
  const failedOnes = deploys.filter((d) => d.status !== "succeeded" || d.incident);
  const hoursToRecover = failedOnes.map((d) => {
    if (d.incident) return d.incident.resolvedAfterH;
    const next = deploys
      .filter((x) => x.service === d.service && x.env === d.env && x.day > d.day && x.status === "succeeded")
      .sort((a, b) => a.day - b.day)[0]!;
    return (next.day - d.day) * 24;
  });
  const sorted = [...hoursToRecover].sort((a, b) => a - b);
  const med =
    sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]!
      : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const successful = deploys.filter((d) => d.status === "succeeded").length;
  return {
    deployments: deploys.length,
    successful,
    failed: failedOnes.length,
    perDay: `${(successful / DAYS).toFixed(3)}/day`,
    cfr: `${((failedOnes.length / deploys.length) * 100).toFixed(1)}%`,
    // each deployment's commit is first recorded at 09:00 (its compliance check), deployed at 12:00
    lead: `${(3).toFixed(1)} h`,
    recovery: failedOnes.length ? `${med.toFixed(1)} h` : "n/a",
  };
}

let dir: string;
let seeded: SeededLedger;
let app: FastifyInstance;
let base: string;
let token: string;
let browser: Browser;
let page: Page;
let repo: TempRepo;
/** ledger size at the seeded checkpoint (entries appended here come after it) */
let checkpointSize: number;
/** the scenario's last api deployment, given a pipeline risk and plan record here */
const RISKY = (1019).toString(16).padStart(40, "0");
/** a second repository's check: one control the scenario never judges, failed */
const OTHER = { repo: "acme/web", classification: "business", control: "SOC2-CC8.1", commit: "ab".repeat(20) };
/** a scenario commit whose only risk records are forged: unsigned, and signed by a key nobody trusts */
const FORGED = (1018).toString(16).padStart(40, "0");
/** LLM calls that recorded the second repository: through the gateway (llm.call) and the proxy (llm.proxy) */
const WEB_LLM = [
  { type: "llm.call", model: "gpt-x", refused: false, email: 2 },
  { type: "llm.call", model: "gpt-x", refused: true, email: 2 },
  { type: "llm.proxy", model: "gpt-x", refused: true, email: 0, phone: 1 },
] as const;

const metric = async (id: string) => (await page.textContent(`[data-metric="${id}"]`))?.trim();
async function shot(name: string, docs?: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  if (docs && process.env.GITOPS_HEALTH_SCREENSHOTS === "docs")
    await page.screenshot({ path: resolve("docs", docs), fullPage: false });
}

describe.skipIf(Boolean(missing))("dashboard in Chromium", () => {
  beforeAll(async () => {
    repo = makeRepo();
    repo.commit("init", { "README.md": "hello\n" });
    dir = repo.dir;
    seeded = await seedLedger(join(dir, ".work"));
    checkpointSize = await seeded.ledger.size();
    await seeded.ledger.append({
      type: "compliance.check",
      actor: "ci@example.invalid",
      subject: OTHER.commit,
      payload: {
        pack: "business",
        repo: OTHER.repo,
        classification: OTHER.classification,
        violations: 1,
        failing: 1,
        controls: { [OTHER.control]: "failed" },
      },
    });
    // the pipeline's risk and plan records for RISKY, signed by the trusted producer
    const producer = makeProducer("ci.example.invalid");
    const forger = makeProducer("ci.example.invalid");
    for (const [stage, data] of [
      ["risk", { score: 62, level: "HIGH", likelihood: 55, approvals: 2 }],
      ["plan", { strategy: "canary", target: "argo-rollouts", tier: 2, approvals: 2, approvalGate: true }],
    ] as const)
      await appendPipeline(
        seeded.ledger,
        "pipeline.stage",
        { runId: "pipe-1", head: RISKY, stage, status: "passed", durationMs: 10, data },
        { keyFile: producer.keyFile, namespace: "gitops-health" },
      );
    // the attacker, who can write the ledger but holds no trusted key: a later unsigned "low risk" for
    // RISKY, and for FORGED one unsigned record and one signed by an untrusted key of the same name
    const low = { score: 3, level: "LOW", likelihood: 3, approvals: 0 };
    await seeded.ledger.append({
      type: "pipeline.stage",
      actor: "ci@example.invalid",
      subject: "pipe-1",
      payload: { runId: "pipe-1", head: RISKY, stage: "risk", status: "passed", durationMs: 10, data: low },
    });
    await seeded.ledger.append({
      type: "pipeline.stage",
      actor: "ci@example.invalid",
      subject: "pipe-2",
      payload: { runId: "pipe-2", head: FORGED, stage: "risk", status: "passed", durationMs: 10, data: low },
    });
    await appendPipeline(
      seeded.ledger,
      "pipeline.stage",
      {
        runId: "pipe-2",
        head: FORGED,
        stage: "plan",
        status: "passed",
        durationMs: 10,
        data: { strategy: "all-at-once", tier: 0 },
      },
      { keyFile: forger.keyFile, namespace: "gitops-health" },
    );
    for (const c of WEB_LLM)
      await seeded.ledger.append(
        c.type === "llm.call"
          ? {
              type: "llm.call",
              actor: "dev@example.invalid",
              subject: "commit.generate",
              payload: {
                provider: "test",
                model: c.model,
                classification: "business",
                repo: OTHER.repo,
                outcome: c.refused ? "refused" : "ok",
                redactions: { EMAIL: c.email },
              },
            }
          : {
              type: "llm.proxy",
              actor: "token:ide#0a1b",
              subject: "POST /v1/chat/completions",
              payload: {
                classification: "business",
                repo: OTHER.repo,
                mode: "sandbox",
                upstream: "upstream-a",
                model: { requested: c.model, resolved: c.model },
                decision: c.refused ? "refused" : "ok",
                status: c.refused ? 403 : 200,
                prompt: { sha256: "0".repeat(64), findings: { PHONE: c.phone }, masked: {}, allowed: {}, blocked: {} },
              },
            },
      );
    const store = new FileTokenStore(join(dir, ".work", "tokens.json"));
    token = (await createToken(store, { name: "viewer", scopes: ["scan"] })).token;
    app = await buildApp({
      ledger: seeded.ledger,
      tokens: store,
      digestKey: "test-digest-key",
      logStream: false,
      uiDir: resolve("ui/dist"),
      dashboardVerifyDelayMs: 0,
      producers: { notes: [{ identity: "ci.example.invalid", vkey: producer.vkey }], namespace: "gitops-health" },
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await seeded?.ledger.close();
    repo?.cleanup();
  });

  it("asks for a token, then shows the overview's numbers", async () => {
    const started = Date.now();
    await page.goto(`${base}/overview?${RANGE}`);
    await page.fill('input[name="token"]', token);
    await page.click(".login button");
    await page.waitForSelector('[data-loaded="overview"]');
    const ms = Date.now() - started;
    console.log(`overview numbers after ${ms} ms (login included)`);
    const lastDay = Math.max(...seeded.deploys.map((d) => d.day));
    const finalStatus: Record<string, string> = { ...controlStatus(lastDay), [OTHER.control]: "failed" };
    const judged = Object.keys(finalStatus);
    expect(await metric("controls-met")).toBe(String(judged.filter((c) => finalStatus[c] === "met").length));
    expect(await metric("controls-failed")).toBe(String(judged.filter((c) => finalStatus[c] === "failed").length));
    expect(await metric("controls-not-evidenced")).toBe(String(CONTROLS.length - judged.length));
    expect(await metric("ledger-size")).toBe(String(await seeded.ledger.size()));
    expect(await metric("checkpoint-size")).toBe(String(checkpointSize));
    expect(await page.textContent('tr[data-control="HIPAA-164.312(b)"] .status')).toBe("failed");
    // per repository and classification: the scenario's repository, and the other one with its failed control
    const apiStatus = controlStatus(lastDay);
    const api = page.locator('tr[data-scope="acme/api|clinical"] td');
    expect(await api.nth(2).textContent()).toBe(String(Object.values(apiStatus).filter((s) => s === "met").length));
    expect(await api.nth(3).textContent()).toBe(String(Object.values(apiStatus).filter((s) => s === "failed").length));
    const web = page.locator('tr[data-scope="acme/web|business"] td');
    expect(await web.nth(3).textContent()).toBe("1");
    expect(await web.nth(5).textContent()).toContain(OTHER.control);
    // the service verifies the whole ledger in the background after reading it
    for (let i = 0; i < 100 && (await metric("last-verification")) !== "passed"; i++) {
      await page.waitForTimeout(100);
      await page.reload();
      await page.waitForSelector('[data-loaded="overview"]');
    }
    expect(await metric("last-verification")).toBe("passed");
    await shot("overview", "dashboard-overview.png");
  });

  it("shows DORA metrics that match the scenario, per service and environment", async () => {
    await page.click('nav a:has-text("Delivery")');
    await page.waitForSelector('[data-loaded="delivery"]');
    expect(page.url()).toContain(`/delivery?${RANGE}`);
    const e = expectedFor(seeded.deploys);
    expect(await metric("deployments")).toBe(String(e.deployments));
    expect(await metric("deployment-frequency")).toBe(e.perDay);
    expect(await metric("change-failure-rate")).toBe(e.cfr);
    expect(await metric("lead-time")).toBe(e.lead);
    expect(await metric("recovery-time")).toBe(e.recovery);
    const api = seeded.deploys.filter((d) => d.service === "api");
    expect(await page.textContent('tr[data-group="api@prod"] td:nth-child(3)')).toBe(String(api.length));
    expect(await page.locator(".uplot").count()).toBe(2);
    expect(await page.textContent("details")).toContain("Failed deployment recovery time");
    await shot("delivery", "dashboard-delivery.png");
  });

  it("filters change the URL and the data", async () => {
    await page.fill('input[name="service"]', "web");
    await page.click('.filters button[type="submit"]');
    await page.waitForURL(/service=web/);
    await page.waitForSelector('[data-loaded="delivery"]');
    const e = expectedFor(seeded.deploys.filter((d) => d.service === "web"));
    await expect.poll(() => metric("deployments")).toBe(String(e.deployments));
    expect(await metric("change-failure-rate")).toBe(e.cfr);
    // the link works on its own: a fresh load of the URL gives the same view
    const url = page.url();
    await page.goto(url);
    await page.waitForSelector('[data-loaded="delivery"]');
    expect(await metric("deployments")).toBe(String(e.deployments));
    // a narrower time range: only the first week
    await page.goto(`${base}/delivery?from=2026-11-02&to=2026-11-09`);
    await page.waitForSelector('[data-loaded="delivery"]');
    expect(await metric("deployments")).toBe(String(seeded.deploys.filter((d) => d.day < 7).length));
    // the repository filter: in the URL, and it narrows the posture and the deployments (by commit)
    await page.goto(`${base}/overview?${RANGE}`);
    await page.waitForSelector('[data-loaded="overview"]');
    await page.fill('input[name="repo"]', OTHER.repo);
    await page.selectOption('select[name="classification"]', OTHER.classification);
    await page.click('.filters button[type="submit"]');
    await page.waitForURL(/repo=acme%2Fweb/);
    expect(page.url()).toContain("classification=business");
    await page.waitForSelector('[data-loaded="overview"]');
    await expect.poll(() => metric("controls-failed")).toBe("1");
    expect(await metric("controls-met")).toBe("0");
    expect(await page.locator("tr[data-scope]").count()).toBe(1);
    await page.click('nav a:has-text("Delivery")');
    await page.waitForURL(/\/delivery\?.*repo=acme%2Fweb/);
    await page.waitForSelector('[data-loaded="delivery"]');
    expect(await metric("deployments")).toBe("0");
    await page.goto(`${base}/delivery?${RANGE}&repo=acme%2Fapi`);
    await page.waitForSelector('[data-loaded="delivery"]');
    expect(await metric("deployments")).toBe(String(seeded.deploys.length));
  });

  it("shows a pending approval once a plan is created, with its digest and the command to sign it", async () => {
    await page.goto(`${base}/runs`);
    await page.waitForSelector('[data-loaded="runs"]');
    expect(await metric("pending-approvals")).toBe("0");
    const r = runCli(
      [
        "run",
        "--classification",
        "personal",
        "--env",
        "local",
        "--run-id",
        "run-dash-1",
        "--ledger",
        join(dir, ".work", "ledger"),
        "--format",
        "json",
        "--",
        "echo",
        "hello",
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBeLessThanOrEqual(1);
    const digest = (JSON.parse(r.stdout) as { digest?: string; plan?: { digest?: string } }).digest ?? "";
    await page.reload();
    await page.waitForSelector('[data-loaded="runs"]');
    expect(await metric("pending-approvals")).toBe("1");
    const item = page.locator('li[data-run="run-dash-1"]');
    expect(await item.locator("[data-approve]").textContent()).toBe(
      "gitops-health approve run-dash-1 --key <your key>",
    );
    const shown = (await item.locator("[data-digest]").textContent()) ?? "";
    expect(shown).toMatch(/^[0-9a-f]{64}$/);
    if (digest) expect(shown).toBe(digest);
    await shot("runs");
  });

  it("shows findings by class and LLM calls by model (counts only), per repository", async () => {
    const webEmail = WEB_LLM.reduce((n, c) => n + c.email, 0);
    await page.goto(`${base}/findings?${RANGE}`);
    await page.waitForSelector('[data-loaded="findings"]');
    // every record with counts: the seeded gateway calls (one EMAIL each) and the second repository's
    expect(await metric("findings-EMAIL")).toBe(String(seeded.llm.length + webEmail));
    expect(await metric("findings-PHONE")).toBe("1");
    await shot("findings");
    // only deployments have a service and environment: those filters are on the delivery page only
    expect(await page.locator('input[name="service"]:visible').count()).toBe(0);
    // the repository filter: in the URL, and only the records of that repository count
    await page.fill('input[name="repo"]', OTHER.repo);
    await page.click('.filters button[type="submit"]');
    await page.waitForURL(/\/findings\?.*repo=acme%2Fweb/);
    await page.waitForSelector('[data-loaded="findings"]');
    await expect.poll(() => metric("findings-EMAIL")).toBe(String(webEmail));
    expect(await metric("findings-PHONE")).toBe("1");
    await page.click('nav a:has-text("LLM calls")');
    await page.waitForURL(/\/llm\?.*repo=acme%2Fweb/);
    await page.waitForSelector('[data-loaded="llm"]');
    expect(await metric("llm-calls")).toBe(String(WEB_LLM.length));
    expect(await metric("llm-refused")).toBe(String(WEB_LLM.filter((c) => c.refused).length));
    expect(await page.textContent('tr[data-model="test/gpt-x"] td:nth-child(2)')).toBe(
      String(WEB_LLM.filter((c) => c.type === "llm.call").length),
    );
    // through the proxy: by the upstream and the model sent
    expect(await page.textContent('tr[data-model="upstream-a/gpt-x"] td:nth-child(3)')).toBe("1");
    // a repository without LLM calls: none
    await page.goto(`${base}/llm?${RANGE}&repo=acme%2Fapi`);
    await page.waitForSelector('[data-loaded="llm"]');
    expect(await metric("llm-calls")).toBe("0");
    await page.goto(`${base}/findings?${RANGE}&repo=acme%2Fapi`);
    await page.waitForSelector('[data-loaded="findings"]');
    expect(await page.locator('[data-metric^="findings-"]').count()).toBe(0);
    // unfiltered: all of them
    await page.goto(`${base}/llm?${RANGE}`);
    await page.waitForSelector('[data-loaded="llm"]');
    expect(await metric("llm-calls")).toBe(String(seeded.llm.length + WEB_LLM.length));
    expect(await metric("llm-refused")).toBe(
      String(seeded.llm.filter((c) => c.refused).length + WEB_LLM.filter((c) => c.refused).length),
    );
    expect(await page.textContent('tr[data-model="test/gpt-x"] td:nth-child(2)')).toBe(
      String(
        seeded.llm.filter((c) => c.model === "gpt-x").length + WEB_LLM.filter((c) => c.type === "llm.call").length,
      ),
    );
    await shot("llm");
  });

  it("shows risk only from records a trusted producer signed; forged ones are marked unverified", async () => {
    await page.goto(`${base}/changes?${RANGE}`);
    await page.waitForSelector('[data-loaded="changes"]');
    // one compliance check per deployment, and the other repository's
    expect(await metric("changes-count")).toBe(String(Math.min(100, seeded.deploys.length + 1)));
    expect(await metric("changes-failed")).toBe("1");
    // the signed records count; the later unsigned "low risk" does not replace them
    const risky = page.locator(`tr[data-change="${RISKY}"]`);
    expect(await risky.locator('[data-col="likelihood"]').textContent()).toBe("55/100 (HIGH)");
    expect(await risky.locator('[data-col="impact"]').textContent()).toBe("tier 2");
    expect(await risky.locator('[data-col="strategy"]').textContent()).toBe("canary");
    expect(await risky.locator('[data-col="risk-evidence"]').textContent()).toBe("signed; 1 unverified ignored");
    // the forged commit: no risk shown, both records marked unverified
    const forged = page.locator(`tr[data-change="${FORGED}"]`);
    expect(await forged.locator('[data-col="likelihood"]').textContent()).toBe("n/a");
    expect(await forged.locator('[data-col="impact"]').textContent()).toBe("n/a");
    expect(await forged.locator('[data-col="strategy"]').textContent()).toBe("");
    expect(await forged.locator('[data-col="risk-evidence"]').textContent()).toBe("2 unverified ignored");
    expect(await page.locator(`tr[data-change="${OTHER.commit}"] [data-col="gate"]`).textContent()).toBe("failed");
    // the API says the same
    const res = await fetch(`${base}/v1/dashboard/changes?${RANGE}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as {
      changes: {
        commit: string;
        likelihood: number | null;
        level: string | null;
        verified: number;
        unverified: number;
      }[];
    };
    expect(body.changes.find((c) => c.commit === FORGED)).toMatchObject({
      likelihood: null,
      level: null,
      verified: 0,
      unverified: 2,
    });
    expect(body.changes.find((c) => c.commit === RISKY)).toMatchObject({ likelihood: 55, verified: 2, unverified: 1 });
    await shot("changes");
  });

  it("is keyboard reachable, has a dark theme, and fits a phone", async () => {
    await page.goto(`${base}/overview?${RANGE}`);
    await page.waitForSelector('[data-loaded="overview"]');
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string | null>(`document.activeElement && document.activeElement.textContent`)).toBe(
      "Delivery",
    );
    await page.keyboard.press("Enter");
    await page.waitForSelector('[data-loaded="delivery"]');
    await page.click("button.theme");
    // the theme is applied by an effect after the render: wait for it
    // polled with page.evaluate: waitForFunction evaluates its predicate with eval, which the page's CSP forbids
    for (let i = 0; i < 100; i++) {
      if (await page.evaluate<boolean>(`document.documentElement.dataset.theme === "dark"`)) break;
      await page.waitForTimeout(50);
    }
    const bg = await page.evaluate<string>(`getComputedStyle(document.body).backgroundColor`);
    expect(bg).toBe("rgb(13, 17, 23)");
    await shot("delivery-dark");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/overview?${RANGE}`);
    await page.waitForSelector('[data-loaded="overview"]');
    const overflow = await page.evaluate<number>(
      `document.documentElement.scrollWidth - document.documentElement.clientWidth`,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await shot("overview-phone");
    await page.click("button.theme");
  });

  it("serves data only with a token, and the UI without any CDN", async () => {
    expect((await fetch(`${base}/v1/dashboard/overview`)).status).toBe(401);
    expect(
      (await fetch(`${base}/v1/dashboard/overview?from=nope`, { headers: { authorization: `Bearer ${token}` } }))
        .status,
    ).toBe(400);
    const html = await (await fetch(`${base}/`)).text();
    expect(html).not.toMatch(/https?:\/\//);
    expect([400, 404]).toContain((await fetch(`${base}/assets/..%2Fpackage.json`)).status);
  });
});

afterAll(() => {
  if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
});
