import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeRepo, makeTempDir, runCli, type TempRepo } from "./helpers/repo.js";
import { makeProducer } from "./helpers/producer.js";
import { openLedger, DEFAULT_LEDGER_DIR } from "../src/audit/index.js";
import { keyFileSigner, recordReviewEvidence } from "../src/review/evidence.js";

/**
 * `pipeline run` end to end on real repositories: the real CLI, real signed check evidence and
 * approvals, a fake deploy command (writes a marker), a fake health check and rollback (shell
 * commands over files in the repository), and the real forensics bisect.
 */
const keys = makeTempDir("gh-pipeline-keys-");
function sshKey(name: string): { priv: string; pub: string } {
  const priv = join(keys, name);
  if (!existsSync(priv)) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", priv]);
  return { priv, pub: readFileSync(`${priv}.pub`, "utf8").trim() };
}
beforeAll(() => {
  for (const n of ["alice", "bob", "rita"]) sshKey(n);
});

interface Ctx {
  repo: TempRepo;
  out: string;
  producerKey: string;
  cli(args: string[], env?: Record<string, string>): ReturnType<typeof runCli>;
  events(r: ReturnType<typeof runCli>): any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  ledger(type: string): any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A service repository whose deploy writes $OUT/deployed, whose health check fails while src/regression.flag exists. */
function setup(o: { classification?: string; checks?: string; extra?: string } = {}): Ctx {
  const repo = makeRepo();
  const producer = makeProducer();
  const out = makeTempDir("gh-pipeline-out-");
  const alice = sshKey("alice");
  const bob = sshKey("bob");
  const rita = sshKey("rita");
  repo.write(
    "allowed_signers",
    [
      `alice@example.com namespaces="gitops-health" ${alice.pub}`,
      `bob@example.com namespaces="gitops-health" ${bob.pub}`,
      `rita@example.com namespaces="gitops-health" ${rita.pub}`,
    ].join("\n") + "\n",
  );
  repo.write(".gitignore", ".gitops-health/\n");
  repo.write(
    ".gitops-health.yml",
    `classification: ${o.classification ?? "personal"}
allowedSignersFile: allowed_signers
criticalPaths:
  - pattern: "src/auth/**"
    tier: 1
    reason: authentication
${producer.yaml}deploy:
  service: api
checks:
${o.checks ?? '  lint: "true"\n  test: "test ! -f FAIL_TEST"\n'}pipeline:
  image: "registry.example/api:{short}"
  deploy: 'echo "$GITOPS_HEALTH_IMAGE $GITOPS_HEALTH_STRATEGY" >> "$OUT/deployed"'
  verify: "test ! -f src/regression.flag"
  rollback: 'echo "$GITOPS_HEALTH_ROLLBACK_TO $GITOPS_HEALTH_ROLLBACK_COMMIT" > "$OUT/rolled-back"'
  test: "test ! -f src/regression.flag"
${o.extra ?? ""}`,
  );
  repo.commit("chore: init", { "README.md": "# api\n", "src/app.ts": "export const app = 1;\n" });
  // HEAD is an ordinary low-risk change (the root commit, with every file at once, is not)
  for (let i = 1; i <= 4; i++)
    repo.commit(`feat: feature ${i}`, { [`src/feature${i}.ts`]: `export const f${i} = ${i};\n` });
  repo.commit("docs: usage", { "README.md": "# api\n\nUsage.\n" });
  const env = { ...producer.env, OUT: out };
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { cwd: repo.dir, env: { ...env, ...extra } });
  return {
    repo,
    out,
    producerKey: producer.keyFile,
    cli,
    events: (r) =>
      r.stdout
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    ledger: (type) => JSON.parse(cli(["audit", "log", "--type", type, "--format", "json"]).stdout || "[]"),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const stageOf = (events: Record<string, any>[], stage: string): any =>
  events.filter((e) => e.event === "stage" && e.stage === stage).at(-1);

describe("pipeline run", () => {
  it("personal: a dry run describes every stage and writes nothing; --approve runs them all and records each", () => {
    const c = setup();
    const dry = c.cli(["pipeline", "run", "--run-id", "rel-dry", "--format", "json"]);
    expect(dry.code, dry.stderr).toBe(0);
    const ev = c.events(dry);
    expect(ev[0]).toMatchObject({ event: "run", runId: "rel-dry", dryRun: true, service: "api" });
    expect(ev.filter((e) => e.event === "stage").map((e) => e.stage)).toEqual([
      "checks",
      "compliance",
      "risk",
      "plan",
      "approvals",
      "deploy",
      "verify",
      "record",
      "bundle",
    ]);
    expect(ev.filter((e) => e.event === "stage").every((e) => e.status === "would-run")).toBe(true);
    expect(stageOf(ev, "checks").detail).toMatch(
      /lint: true \(config\); test: test ! -f FAIL_TEST \(config\); security: gitops-health scan --diff .* \(built-in\)/,
    );
    expect(stageOf(ev, "deploy").detail).toContain('echo "$GITOPS_HEALTH_IMAGE');
    expect(ev.at(-1)).toMatchObject({ event: "done", status: "dry-run", exitCode: 0 });
    // nothing ran, nothing was written
    expect(existsSync(join(c.out, "deployed"))).toBe(false);
    expect(existsSync(join(c.repo.dir, ".gitops-health"))).toBe(false);

    const r = c.cli(["pipeline", "run", "--approve", "--run-id", "rel-1", "--release", "v1"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/✓ checks +passed .*ran lint, test, security/);
    expect(r.stderr).toMatch(/✓ compliance passed/);
    expect(r.stderr).toMatch(/- approvals +skipped .*no approvals needed/);
    expect(r.stderr).toMatch(/run rel-1 completed: api v1 deployed to staging/);
    const head = c.repo.git("rev-parse", "HEAD").trim();
    expect(readFileSync(join(c.out, "deployed"), "utf8")).toBe(`registry.example/api:${head.slice(0, 12)} standard\n`);
    expect(existsSync(join(c.repo.dir, ".gitops-health", "deploy", "rel-1", "deployment-api.yaml"))).toBe(true);
    // each stage is a signed ledger entry; checks count as signed evidence for the commit
    const stages = c.ledger("pipeline.stage").filter((e) => e.subject === "rel-1");
    expect(stages.map((e) => `${e.payload.stage}:${e.payload.status}`)).toEqual([
      "checks:passed",
      "compliance:passed",
      "risk:passed",
      "plan:passed",
      "approvals:skipped",
      "deploy:passed",
      "verify:passed",
      "record:passed",
      "bundle:skipped",
    ]);
    expect(stages.every((e) => e.payload.signature?.method === "note" && e.payload.head === head)).toBe(true);
    const status = JSON.parse(c.cli(["check", "status", "--format", "json"]).stdout);
    expect(status.passed.sort()).toEqual(["compliance", "lint", "security", "test"]);
    const deploys = JSON.parse(c.cli(["deploy", "events", "--format", "json"]).stdout) as {
      type: string;
      record: { version: string; commit: string };
      producer: string;
    }[];
    expect(deploys.map((d) => d.type)).toEqual(["deploy.started", "deploy.succeeded"]);
    expect(deploys.every((d) => d.record.commit === head && d.producer === "ci.example.invalid")).toBe(true);
    // resuming a completed run does nothing
    const again = c.cli(["pipeline", "run", "--approve", "--run-id", "rel-1"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/already completed/);
    expect(readFileSync(join(c.out, "deployed"), "utf8").split("\n").filter(Boolean)).toHaveLength(1);
  }, 180_000);

  it("a failing check stops the run before anything deploys; a resume re-runs only what has not passed", () => {
    const c = setup({ checks: '  lint: "true"\n  test: "test ! -f FAIL_TEST"\n  security: "true"\n' });
    c.repo.write("FAIL_TEST", "x\n");
    c.repo.commit("test: a failing test");
    const r = c.cli(["pipeline", "run", "--approve", "--run-id", "rel-f", "--format", "json"]);
    expect(r.code).toBe(1);
    const ev = c.events(r);
    expect(stageOf(ev, "checks")).toMatchObject({ status: "failed", data: { failed: ["test"] } });
    expect(ev.some((e) => e.stage === "deploy")).toBe(false);
    expect(ev.at(-1)).toMatchObject({ event: "done", status: "failed", exitCode: 1 });
    expect(existsSync(join(c.out, "deployed"))).toBe(false);
    // A flaky failure retried on the same commit: lint and security already passed, only test runs again.
    const retry = c.cli(["pipeline", "run", "--approve", "--run-id", "rel-f", "--format", "json"], {});
    expect(retry.code).toBe(1);
    const checks = stageOf(c.events(retry), "checks");
    expect(checks.data.ran).toEqual(["test"]);
    expect(checks.detail).toMatch(/already passed for this commit: lint, security/);
  }, 180_000);

  it("business: the compliance gate is a stage; a reviewed change passes it and deploys", async () => {
    const c = setup({ classification: "business", checks: '  lint: "true"\n  test: "true"\n  security: "true"\n' });
    const unreviewed = c.cli(["pipeline", "run", "--approve", "--run-id", "rel-b1", "--format", "json"]);
    expect(unreviewed.code).toBe(1);
    expect(stageOf(c.events(unreviewed), "compliance")).toMatchObject({ status: "failed" });
    // approvals count only from signed forge review evidence (issue 24): the trailer alone is unverified
    const merged = c.repo.commit("feat: greeting (#7)\n\nReviewed-by: Bob Reviewer <bob@example.com>", {
      "src/greet.ts": "export const hi = 1;\n",
    });
    const ledger = await openLedger(join(c.repo.dir, DEFAULT_LEDGER_DIR));
    try {
      const pull = {
        forge: "github",
        repo: "acme/api",
        number: 7,
        author: { login: "dana-dev", id: 101 },
        state: "merged",
        base: "main",
        head: merged,
        mergeCommit: merged,
        commits: null,
        observedAt: "2026-12-06T10:00:00Z",
        source: "api",
      } as const;
      const review = {
        forge: "github",
        repo: "acme/api",
        number: 7,
        reviewId: 1,
        reviewer: { login: "bob-reviewer", id: 202 },
        state: "approved",
        commit: merged,
        submittedAt: "2026-12-06T09:00:00Z",
        source: "api",
      } as const;
      await recordReviewEvidence(
        ledger,
        [
          { kind: "pull", record: pull },
          { kind: "review", record: review },
        ],
        keyFileSigner(c.producerKey, "gitops-health-producer"),
      );
    } finally {
      await ledger.close();
    }
    // business changes need a signed approval before they deploy: the plan is signed by its requester
    const noKey = c.cli(["pipeline", "run", "--approve", "--run-id", "rel-b2", "--format", "json"]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/--requester-key FILE/);
    expect(stageOf(c.events(noKey), "compliance")).toMatchObject({ status: "passed" });
    const r = c.cli([
      "pipeline",
      "run",
      "--approve",
      "--run-id",
      "rel-b2",
      "--requester-key",
      sshKey("rita").priv,
      "--format",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(1);
    let ev = c.events(r);
    expect(ev[0]).toMatchObject({ resumedFrom: "plan" });
    expect(ev.at(-1)).toMatchObject({ status: "pending-approval" });
    const needed = stageOf(ev, "plan").data.approvals as number;
    for (const who of (["alice", "bob"] as const).slice(0, needed))
      expect(c.cli(["approve", "rel-b2", "--key", sshKey(who).priv]).code).toBe(0);
    const done = c.cli(["pipeline", "run", "--approve", "--run-id", "rel-b2", "--format", "json"]);
    expect(done.code, done.stderr).toBe(0);
    ev = c.events(done);
    expect(ev.at(-1)).toMatchObject({ status: "completed" });
    expect(readFileSync(join(c.out, "deployed"), "utf8")).toContain("registry.example/api:");
  }, 180_000);

  it("clinical: the built-in phi (dlp) check runs, and unsigned, unapproved commits stop at the compliance gate", () => {
    const c = setup({ classification: "clinical", checks: '  lint: "true"\n  test: "true"\n' });
    const r = c.cli(["pipeline", "run", "--approve", "--run-id", "rel-c", "--format", "json"]);
    expect(r.code).toBe(1);
    const ev = c.events(r);
    expect(stageOf(ev, "checks")).toMatchObject({
      status: "passed",
      data: { ran: ["lint", "test", "security", "phi"] },
    });
    expect(stageOf(ev, "compliance")).toMatchObject({ status: "failed" });
    expect(r.stderr).toMatch(/signed-commits/);
    expect(existsSync(join(c.out, "deployed"))).toBe(false);
  }, 180_000);

  it("a tier-1 change waits for a signed approval, then resumes; a changed HEAD invalidates a run", () => {
    const c = setup({ checks: '  lint: "true"\n  test: "true"\n  security: "true"\n' });
    const lines = Array.from(
      { length: 200 },
      (_, i) => `export function check${i}(t: string): boolean { return t.length > ${i}; }`,
    );
    c.repo.commit("feat(auth): token checks", { "src/auth/tokens.ts": lines.join("\n") + "\n" });
    const rita = sshKey("rita").priv;
    const first = c.cli([
      "pipeline",
      "run",
      "--approve",
      "--run-id",
      "rel-a",
      "--requester-key",
      rita,
      "--format",
      "json",
    ]);
    expect(first.code, first.stderr).toBe(1);
    let ev = c.events(first);
    expect(["canary", "blue-green"]).toContain(stageOf(ev, "plan").data.strategy);
    expect(stageOf(ev, "approvals")).toMatchObject({ status: "pending" });
    expect(ev.at(-1)).toMatchObject({ status: "pending-approval" });
    expect(ev.at(-1).message).toContain("gitops-health approve rel-a");
    expect(existsSync(join(c.out, "deployed"))).toBe(false);
    // the requester cannot approve their own run
    expect(c.cli(["approve", "rel-a", "--key", rita]).code).toBe(1);
    // The plan says how many approvals it needs (blue-green: two, canary: one); each resume re-asks the gate.
    const needed = stageOf(ev, "plan").data.approvals as number;
    let resumed!: ReturnType<typeof runCli>;
    for (const [i, who] of (["alice", "bob"] as const).slice(0, needed).entries()) {
      const ok = c.cli(["approve", "rel-a", "--key", sshKey(who).priv]);
      expect(ok.code, ok.stderr).toBe(0);
      resumed = c.cli(["pipeline", "run", "--approve", "--run-id", "rel-a", "--format", "json"]);
      ev = c.events(resumed);
      expect(ev[0]).toMatchObject({ event: "run", resumedFrom: "approvals" });
      expect(stageOf(ev, "approvals")).toMatchObject({
        status: i + 1 < needed ? "pending" : "passed",
        data: { approvals: i + 1 },
      });
    }
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(ev.filter((e) => e.event === "stage" && !e.resumed).map((e) => e.stage)).toEqual([
      "approvals",
      "deploy",
      "verify",
      "record",
      "bundle",
    ]);
    expect(readFileSync(join(c.out, "deployed"), "utf8")).toMatch(/ (canary|blue-green)\n$/);

    // A pending run whose HEAD then moves is invalidated: its approvals and checks were for another commit.
    c.repo.commit("feat(auth): more checks", { "src/auth/more.ts": lines.slice(0, 50).join("\n") + "\n" });
    const pending = c.cli([
      "pipeline",
      "run",
      "--approve",
      "--run-id",
      "rel-h",
      "--requester-key",
      rita,
      "--format",
      "json",
    ]);
    expect(c.events(pending).at(-1)).toMatchObject({ status: "pending-approval" });
    c.repo.commit("docs: note", { "README.md": "# api\n\nmoved\n" });
    const moved = c.cli(["pipeline", "run", "--approve", "--run-id", "rel-h", "--format", "json"]);
    expect(moved.code).toBe(1);
    expect(c.events(moved).at(-1)).toMatchObject({ status: "invalidated" });
    expect(c.events(moved).at(-1).message).toMatch(/HEAD is now .*invalidated/);
    expect(c.ledger("pipeline.invalidated").map((e) => e.subject)).toEqual(["rel-h"]);
  }, 240_000);

  it("a failed verify marks the deploy failed, rolls back, opens an incident and bisects to the culprit", () => {
    const c = setup({ checks: '  lint: "true"\n  test: "true"\n  security: "true"\n' });
    const good = c.repo.git("rev-parse", "HEAD").trim();
    // with a ledger key the run ends with an evidence bundle that verifies offline
    expect(
      c.cli(["pipeline", "run", "--approve", "--run-id", "rel-v1", "--release", "v1", "--ledger-key", c.producerKey])
        .code,
    ).toBe(0);
    const bundle = join(c.repo.dir, ".gitops-health", "deploy", "rel-v1", "evidence.json");
    const verified = c.cli(["audit", "verify", "--bundle", bundle]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(
      JSON.parse(readFileSync(bundle, "utf8")).entries.some((e: { canonical: string }) =>
        e.canonical.includes('"pipeline.started"'),
      ),
    ).toBe(true);
    c.repo.commit("feat: a", { "src/a.ts": "export const a = 1;\n" });
    const culprit = c.repo.commit("feat: b", { "src/b.ts": "export const b = 1;\n", "src/regression.flag": "slow\n" });
    c.repo.commit("feat: c", { "src/c.ts": "export const c = 1;\n" });
    c.repo.commit("docs: d", { "README.md": "# api\n\nd\n" });
    const r = c.cli(["pipeline", "run", "--approve", "--run-id", "rel-v2", "--release", "v2", "--format", "json"]);
    expect(r.code, r.stderr).toBe(1);
    const ev = c.events(r);
    expect(stageOf(ev, "verify")).toMatchObject({ status: "failed" });
    expect(stageOf(ev, "rollback")).toMatchObject({ status: "passed", data: { to: "v1" } });
    expect(readFileSync(join(c.out, "rolled-back"), "utf8")).toBe(`v1 ${good}\n`);
    expect(stageOf(ev, "incident")).toMatchObject({ status: "passed", data: { incident: "inc-rel-v2" } });
    expect(stageOf(ev, "bisect")).toMatchObject({ status: "passed", data: { outcome: "culprit", culprit } });
    expect(ev.some((e) => e.stage === "record")).toBe(false);
    expect(ev.at(-1)).toMatchObject({ status: "rolled-back", exitCode: 1 });
    // the deployment records, the incident and the culprit attached to it, all signed
    const deploys = JSON.parse(c.cli(["deploy", "events", "--format", "json"]).stdout) as {
      type: string;
      record: { version?: string; to?: string };
    }[];
    expect(deploys.map((d) => `${d.type} ${d.record.version ?? d.record.to}`)).toEqual([
      "deploy.started v1",
      "deploy.succeeded v1",
      "deploy.started v2",
      "deploy.failed v2",
      "deploy.rolled-back v2",
      "deploy.rollback v1",
    ]);
    const incidents = JSON.parse(c.cli(["incident", "list", "--format", "json"]).stdout) as {
      record: { id: string; status: string };
      producer: string;
    }[];
    expect(incidents.map((i) => [i.record.id, i.record.status, i.producer])).toEqual([
      ["inc-rel-v2", "open", "ci.example.invalid"],
    ]);
    const culprits = c.ledger("pipeline.culprit");
    expect(culprits.map((e) => [e.subject, e.payload.commit, e.payload.good])).toEqual([["inc-rel-v2", culprit, good]]);
    // a rolled-back run resumes only from an explicit stage
    const resume = c.cli(["pipeline", "run", "--approve", "--run-id", "rel-v2"]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/--from STAGE/);
  }, 240_000);

  it("usage errors exit 2 in one line", () => {
    const c = setup();
    for (const args of [
      ["--env", "moon"],
      ["--from", "deploy"],
      ["--from", "nowhere", "--run-id", "rel-x"],
      ["--run-id", "x"],
      ["--format", "xml"],
    ]) {
      const r = c.cli(["pipeline", "run", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
    // --approve needs the producer key that signs what it records
    const r = runCli(["pipeline", "run", "--approve"], { cwd: c.repo.dir, env: { GITOPS_HEALTH_EVIDENCE_KEY: "" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/producer key/);
  }, 60_000);
});
