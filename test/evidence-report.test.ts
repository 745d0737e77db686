import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { makeRepo, makeTempDir } from "./helpers/repo.js";

// evaluated in the page (strings: the test program has no DOM types)
const VERDICT_READY = `document.documentElement.getAttribute("data-verified") !== "pending"`;
import { controlStatus, seedLedger, type SeededLedger } from "./helpers/evidence-ledger.js";

const CLI = resolve("dist/cli.js");
const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);

let dir: string;
let seeded: SeededLedger;

function report(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    [CLI, "report", "--ledger", join(dir, "ledger"), "--key", `@${seeded.verifierKeyFile}`, ...args],
    { cwd: dir, encoding: "utf8", env: { ...process.env, GITOPS_HEALTH_LEDGER: "" } },
  );
  return r;
}

beforeAll(async () => {
  dir = makeTempDir("gh-report-");
  seeded = await seedLedger(dir);
  await seeded.ledger.close();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("report --format html", () => {
  it("is byte-identical for the same ledger and arguments", () => {
    const a = report("--from", "2026-11-02", "--to", "2026-11-29", "--out", join(dir, "a.html"));
    expect(a.stderr).toContain("wrote");
    expect(a.status).toBe(0);
    const b = report("--from", "2026-11-02", "--to", "2026-11-29", "--out", join(dir, "b.html"));
    expect(b.status).toBe(0);
    expect(readFileSync(join(dir, "a.html")).equals(readFileSync(join(dir, "b.html")))).toBe(true);
    expect(report("--from", "2026-11-02", "--to", "2026-11-10", "--out", join(dir, "c.html")).status).toBe(0);
    expect(readFileSync(join(dir, "c.html")).equals(readFileSync(join(dir, "a.html")))).toBe(false);
  });

  it("states each control's status from the latest compliance check and cites its entries", () => {
    const html = readFileSync(join(dir, "a.html"), "utf8");
    const row = (id: string) => html.split("\n").find((l) => l.startsWith(`<tr data-control="${id}"`)) ?? "";
    // independently: the last day with a compliance check is 19
    expect(row("HIPAA-164.312(b)")).toContain(`>${controlStatus(19)["HIPAA-164.312(b)"]}<`);
    expect(row("SOX-ITGC-CM-1")).toContain(">met<");
    expect(row("21CFR11.10(d)")).toContain(">not evidenced<");
    const checks = seeded.deploys.length; // one compliance.check per deployment
    const failedChecks = seeded.deploys.filter((d) => controlStatus(d.day)["HIPAA-164.312(b)"] === "failed").length;
    expect(row("HIPAA-164.312(b)")).toContain(`<td>${checks - failedChecks}/${failedChecks}</td>`);
    // no network, everything inline
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
  });

  it("refuses bad input with exit 2 and one line", () => {
    const r = report("--from", "yesterday-ish", "--to", "2026-11-29");
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(report("--from", "2026-11-02", "--to", "2026-11-29", "--controls", "iso27001").status).toBe(2);
  });
});

describe("report: change lead time from the repository's commit times", () => {
  it("uses git's commit time of each deployed commit when run inside the repository", async () => {
    const repo = makeRepo();
    try {
      const sha = repo.commit("feat: change", { "a.txt": "a\n" }, { date: "2026-11-01T00:00:00Z" });
      const { AuditLedger } = await import("../src/audit/ledger.js");
      const { DirStore } = await import("../src/audit/dir-store.js");
      const { generateNoteSigner } = await import("../src/core/note-key.js");
      const { appendRecord } = await import("../src/deploy/events.js");
      let clock = Date.parse("2026-11-02T12:00:00Z");
      const ledgerDir = join(repo.dir, ".work", "ledger");
      const ledger = new AuditLedger(await DirStore.open(ledgerDir), { now: () => new Date(clock) });
      await appendRecord(ledger, "deploy", {
        service: "api",
        env: "prod",
        version: "1.0.0",
        status: "succeeded",
        commit: sha,
        image: null,
        occurredAt: new Date(clock).toISOString(),
      });
      clock += 3_600_000;
      const { signer, verifierKey } = generateNoteSigner("gitops-health/lead");
      await ledger.checkpoint(signer);
      await ledger.close();
      const args = [
        CLI,
        "report",
        "--ledger",
        ledgerDir,
        "--key",
        verifierKey,
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-03",
      ];
      const inRepo = spawnSync(process.execPath, args, { cwd: repo.dir, encoding: "utf8" });
      expect(inRepo.status, inRepo.stderr).toBe(0);
      expect(inRepo.stdout).toContain("change lead time (median) 36.0 h");
      // outside the repository the commit time is unknown (no other ledger entry names the commit)
      const outside = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8" });
      expect(outside.stdout).toContain("change lead time (median) n/a");
    } finally {
      repo.cleanup();
    }
  });
});

describe("report --format oscal", () => {
  it("is valid against the vendored OSCAL assessment-results schema and deterministic", () => {
    const a = report("--from", "2026-11-02", "--to", "2026-11-29", "--format", "oscal");
    expect(a.status).toBe(0);
    const b = report("--from", "2026-11-02", "--to", "2026-11-29", "--format", "oscal");
    expect(a.stdout).toBe(b.stdout);
    const schema = JSON.parse(
      readFileSync(resolve("schema/oscal/oscal_assessment-results_schema.json"), "utf8"),
    ) as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    const doc = JSON.parse(a.stdout) as {
      "assessment-results": {
        results: { findings: { title: string; target: { status: { state: string } } }[]; observations: unknown[] }[];
      };
    };
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const findings = doc["assessment-results"].results[0]!.findings;
    expect(findings.find((f) => f.title.startsWith("SOX-ITGC-CM-1:"))!.target.status.state).toBe("satisfied");
    expect(findings.find((f) => f.title.startsWith("HIPAA-164.312(b):"))!.target.status.state).toBe("not-satisfied");
    // and an invalid document is caught: the check can fail
    expect(validate({ "assessment-results": { uuid: "not-a-uuid" } })).toBe(false);
  });
});

describe.skipIf(!hasChromium)("the report verifies itself in Chromium (WebCrypto Ed25519 + SHA-256)", () => {
  it("shows 'verified against key', then the exact failure after a byte of an embedded entry changes", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      const verdict = async (file: string) => {
        await page.goto(`file://${file}`);
        await page.waitForFunction(VERDICT_READY, undefined, { timeout: 20_000 });
        return {
          state: await page.getAttribute("html", "data-verified"),
          text: (await page.textContent("#verification")) ?? "",
        };
      };
      const good = await verdict(join(dir, "a.html"));
      expect(good.text).toContain(`verified against key ${seeded.verifierKey}`);
      expect(good.state).toBe("ok");
      await page.screenshot({ path: join(dir, "report.png"), fullPage: false });

      const html = readFileSync(join(dir, "a.html"), "utf8");
      const start = html.indexOf('<script type="application/json" id="evidence-data">');
      const data = JSON.parse(
        html.slice(html.indexOf(">", start) + 1, html.indexOf("</script>", start)).replace(/\\u003c/g, "<"),
      ) as { entries: { seq: number; canonical: string }[] };
      const target = data.entries.find((e) => e.canonical.includes('"type":"deploy.succeeded"'))!;
      // change one byte of that entry's embedded text ("1.0.x" version to "1.1.x")
      const at = html.indexOf(JSON.stringify(target.canonical), start);
      const v = html.indexOf('\\"version\\":\\"1.0.', at);
      expect(at).toBeGreaterThan(start);
      expect(v).toBeGreaterThan(at);
      expect(v).toBeLessThan(at + JSON.stringify(target.canonical).length);
      const pos = v + '\\"version\\":\\"1.'.length;
      writeFileSync(join(dir, "tampered.html"), html.slice(0, pos) + "1" + html.slice(pos + 1));
      const bad = await verdict(join(dir, "tampered.html"));
      expect(bad.state).toBe("failed");
      expect(bad.text).toContain(`entry ${target.seq}: inclusion proof fails`);

      // a key the auditor holds that did not sign: the signature check names it
      await page.goto(`file://${join(dir, "a.html")}`);
      await page.waitForFunction(VERDICT_READY);
      const other = (await import("../src/core/note-key.js")).generateNoteSigner(
        "gitops-health/test-ledger",
      ).verifierKey;
      await page.fill("#key-input", other);
      await page.evaluate(`document.documentElement.setAttribute("data-verified", "pending")`);
      await page.click("#key-form button");
      await page.waitForFunction(VERDICT_READY);
      expect(await page.textContent("#verification")).toContain(
        "checkpoint: no signature by key gitops-health/test-ledger+",
      );
    } finally {
      await browser.close();
    }
  }, 60_000);
});
