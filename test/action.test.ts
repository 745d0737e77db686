import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeRepo, makeTempDir, type TempRepo } from "./helpers/repo.js";

/**
 * The committed action bundle (dist-action/index.js) run as GitHub runs it: a node process with the
 * inputs as INPUT_* variables, a pull_request event payload at GITHUB_EVENT_PATH and temp files for
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, driving the built CLI on a real repository.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "dist-action", "index.js");
const cli = join(root, "dist", "cli.js");

function pr(repo: TempRepo, base: string, head: string, fork = false) {
  const dir = makeTempDir("gh-action-");
  const event = join(dir, "event.json");
  writeFileSync(
    event,
    readFileSync(join(root, "test", "fixtures", "github", "pull_request.json"), "utf8")
      .replace("BASE_SHA", base)
      .replace("HEAD_SHA", head)
      .replace("FORK_REPO", fork ? "someone/api" : "acme/api")
      .replace("FORK", String(fork)),
  );
  const output = join(dir, "output");
  const summary = join(dir, "summary.md");
  writeFileSync(output, "");
  writeFileSync(summary, "");
  const run = (inputs: Record<string, string>) => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      GITHUB_EVENT_NAME: "pull_request",
      GITHUB_EVENT_PATH: event,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_WORKSPACE: repo.dir,
      GITHUB_REPOSITORY: "acme/api",
      GIT_CONFIG_NOSYSTEM: "1",
    };
    for (const [k, v] of Object.entries({ cli, ...inputs })) env[`INPUT_${k.toUpperCase()}`] = v;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [bundle], { cwd: repo.dir, env, encoding: "utf8" });
    return {
      code: r.status,
      stdout: r.stdout,
      stderr: r.stderr,
      ms: Date.now() - t0,
      outputs: parseOutputs(readFileSync(output, "utf8")),
      summary: readFileSync(summary, "utf8"),
    };
  };
  return { run };
}

/** GITHUB_OUTPUT's heredoc format: name<<DELIM, value lines, DELIM. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    while (++i < lines.length && lines[i] !== m[2]) value.push(lines[i]!);
    out[m[1]!] = value.join("\n");
  }
  return out;
}

function service(): { repo: TempRepo; base: string } {
  const repo = makeRepo();
  repo.write(".gitignore", ".gitops-health/\n");
  repo.write(
    ".gitops-health.yml",
    'deploy:\n  service: api\nchecks:\n  lint: "true"\n  test: "true"\npipeline:\n  image: registry.example/api:{short}\n',
  );
  repo.commit("chore: init", { "src/app.ts": "export const app = 1;\n" });
  for (let i = 1; i <= 3; i++) repo.commit(`feat: feature ${i}`, { [`src/f${i}.ts`]: `export const f${i} = ${i};\n` });
  return { repo, base: repo.git("rev-parse", "HEAD").trim() };
}

describe("the GitHub Action", () => {
  it("is committed, bundled in one file", () => {
    expect(existsSync(bundle)).toBe(true);
    expect(readFileSync(join(root, "action.yml"), "utf8")).toMatch(/main: dist-action\/index\.js/);
  });

  it("risk: outputs score, level and strategy for the pull request's change, and a job summary", () => {
    const { repo, base } = service();
    const head = repo.commit("feat: greeting", { "src/greet.ts": "export const hi = 1;\n" });
    const r = pr(repo, base, head).run({ command: "risk" });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`risk score --range ${base}..${head} --format json`);
    expect(Number(r.outputs["risk-score"])).toBeGreaterThanOrEqual(0);
    expect(["LOW", "MEDIUM", "HIGH", "CRITICAL"]).toContain(r.outputs["risk-level"]);
    expect(["standard", "canary", "blue-green"]).toContain(r.outputs.strategy);
    expect(r.outputs["exit-code"]).toBe("0");
    expect(r.summary).toContain("<h2>gitops-health risk</h2>");
    expect(r.summary).toMatch(/risk <strong>|risk \*\*/);
  }, 60_000);

  it("scan: PHI added by the pull request fails the job, with SARIF (stable category) and a summary table", () => {
    const { repo, base } = service();
    const head = repo.commit("feat: fixture", { "test/fixture.txt": "patient SSN 512-84-1001\n" });
    const r = pr(repo, base, head).run({ command: "scan", sarif: "out/scan.sarif" });
    expect(r.code).toBe(1);
    expect(r.outputs["exit-code"]).toBe("1");
    expect(r.outputs.sarif).toBe(join(repo.dir, "out", "scan.sarif"));
    const sarif = JSON.parse(readFileSync(r.outputs.sarif!, "utf8"));
    expect(sarif.runs[0].automationDetails.id).toBe("gitops-health/scan/");
    expect(r.summary).toMatch(/failed: \d+ result\(s\)/);
    expect(r.summary).toContain("us-ssn");
    expect(r.summary).not.toContain("512-84-1001");
    expect(r.stdout).toMatch(/::error::gitops-health scan: the gate failed/);
  }, 60_000);

  it("compliance on a fork's pull request: runs without secrets and skips the comment; missing check evidence fails the gate", () => {
    const { repo, base } = service();
    const head = repo.commit("feat: greeting", { "src/greet.ts": "export const hi = 1;\n" });
    const r = pr(repo, base, head, true).run({ command: "compliance", comment: "true", "github-token": "" });
    // no signed lint/test/security results for HEAD in this repository's ledger: the gate fails, as it should
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.summary).toContain("required-checks");
    expect(r.outputs.sarif).toBe(join(repo.dir, "gitops-health-compliance.sarif"));
    expect(JSON.parse(readFileSync(r.outputs.sarif!, "utf8")).runs[0].automationDetails.id).toBe(
      "gitops-health/compliance/",
    );
    expect(r.stdout).toMatch(/::notice::pull request from a fork/);
    expect(r.summary).toContain("failed");
  }, 60_000);

  it("pipeline: a dry run's stages in the summary, risk and strategy as outputs", () => {
    const { repo, base } = service();
    const head = repo.commit("feat: greeting", { "src/greet.ts": "export const hi = 1;\n" });
    const r = pr(repo, base, head).run({ command: "pipeline", environment: "staging", approve: "false" });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.outputs.strategy).toBe("standard");
    expect(r.outputs["risk-level"]).toBe("LOW");
    expect(r.outputs["run-id"]).toMatch(/^run-/);
    expect(r.summary).toContain("would-run");
    expect(r.summary).toContain("nothing ran and nothing was written");
  }, 60_000);
});
