import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { makeRepo, makeTempDir, runCli, type TempRepo } from "./helpers/repo.js";
import { makeProducer } from "./helpers/producer.js";

const keys = makeTempDir("gh-deploy-keys-");
function sshKey(name: string): { priv: string; pub: string } {
  const priv = join(keys, name);
  if (!existsSync(priv)) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", priv]);
  return { priv, pub: readFileSync(`${priv}.pub`, "utf8").trim() };
}

interface Ctx {
  repo: TempRepo;
  cli(args: string[]): ReturnType<typeof runCli>;
}

/**
 * A service repository with some history, tier-1 critical auth code, and an allowed-signers file for
 * alice and bob (approvers) and rita, the requester: `deploy plan` signs its plan with rita's key
 * (an identity is a key, never git config), unless a test passes its own --key.
 */
function setup(extraConfig = "", classification = "personal"): Ctx {
  const repo = makeRepo();
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
  repo.write(
    ".gitops-health.yml",
    `classification: ${classification}\nallowedSignersFile: allowed_signers\ncriticalPaths:\n  - pattern: "src/auth/**"\n    tier: 1\n    reason: authentication\ndeploy:\n  service: api\n${extraConfig}`,
  );
  repo.commit("chore: init", {
    "README.md": "# api\n",
    "src/app.ts": "export const app = 1;\n",
    "test/app.test.ts": "test\n",
  });
  for (let i = 1; i <= 6; i++)
    repo.commit(`feat: feature ${i}`, {
      [`src/feature${i}.ts`]: `export const f${i} = ${i};\n`,
      [`test/feature${i}.test.ts`]: `t${i}\n`,
    });
  repo.commit("fix: feature 2 off by one", { "src/feature2.ts": "export const f2 = 3;\n" });
  const env = { GITOPS_HEALTH_LEDGER: join(repo.dir, ".ledger") };
  const withKey = (args: string[]) =>
    args[0] === "deploy" && args[1] === "plan" && !args.includes("--key") && !args.includes("--no-key")
      ? [...args, "--key", rita.priv]
      : args.filter((a) => a !== "--no-key");
  return { repo, cli: (args) => runCli(withKey(args), { cwd: repo.dir, env }) };
}

/** The issue's case: a 330-line change to tier-1 auth code, without tests. */
function untestedAuthChange(repo: TempRepo): string {
  const lines = Array.from(
    { length: 330 },
    (_, i) => `export function check${i}(token: string): boolean { return token.length > ${i}; }`,
  );
  return repo.commit("feat(auth): token checks", { "src/auth/tokens.ts": lines.join("\n") + "\n" });
}

beforeAll(() => {
  sshKey("alice");
  sshKey("bob");
  sshKey("rita");
});

const json = (r: ReturnType<typeof runCli>) => JSON.parse(r.stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("deploy plan from a real history", () => {
  it("the tier-1 untested auth change comes out canary with an approval gate, never standard", () => {
    const { repo, cli } = setup();
    const sha = untestedAuthChange(repo);
    const r = cli(["deploy", "plan", "--image", "registry.example/api:2.0.0", "--run-id", "rel-1", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const plan = json(r);
    expect(plan.commit).toBe(sha);
    expect(plan.impact.tier).toBe(1);
    expect(plan.impact.matched).toEqual([{ pattern: "src/auth/**", tier: 1, files: 1 }]);
    expect(["canary", "blue-green"]).toContain(plan.decision.strategy);
    expect(plan.decision.approvalGate).toBe(true);
    expect(plan.decision.approvals).toBeGreaterThanOrEqual(1);
    expect(plan.run.runId).toBe("rel-1");
    expect(plan.run.gate.status).toBe("pending");
    expect(r.stderr).toMatch(/tier-1 impact/);
    // The Rollout pauses on the approval gate, which asks the service about this run and digest.
    const rollout = parse(readFileSync(join(repo.dir, "deploy", "rollout-api.yaml"), "utf8"));
    expect(rollout.spec.template.spec.containers[0].image).toBe("registry.example/api:2.0.0");
    // The refitted model may rate this change HIGH likelihood, and then tier 1 makes it blue-green.
    if (plan.decision.strategy === "canary") {
      const steps = rollout.spec.strategy.canary.steps as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(steps.some((s) => s.analysis?.templates?.[0]?.templateName === "api-approval-gate")).toBe(true);
    } else {
      expect(rollout.spec.strategy.blueGreen.autoPromotionEnabled).toBe(false);
      expect(JSON.stringify(rollout.spec.strategy.blueGreen.prePromotionAnalysis)).toContain("api-approval-gate");
    }
    const gate = parse(readFileSync(join(repo.dir, "deploy", "analysistemplate-api-approval-gate.yaml"), "utf8"));
    expect(gate.spec.metrics[0].provider.web.url).toBe(
      `http://gitops-health.gitops-health.svc:8080/v1/runs/rel-1/gate?digest=${plan.run.digest}`,
    );
    // Asking for standard is refused: weaker than decided.
    const weaker = cli(["deploy", "plan", "--image", "registry.example/api:2.0.0", "--strategy", "standard"]);
    expect(weaker.code).toBe(1);
    expect(weaker.stderr).toMatch(/refused: --strategy standard is weaker than the decided/);
    // A plan that needs approvals is signed by its requester: without a key it is a usage error.
    const unsigned = cli(["deploy", "plan", "--image", "registry.example/api:2.0.0", "--run-id", "rel-9", "--no-key"]);
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toMatch(/--key FILE/);
  });

  it("clinical: the same change is blue-green with manual promotion", () => {
    const { repo, cli } = setup("", "clinical");
    untestedAuthChange(repo);
    const r = cli(["deploy", "plan", "--image", "registry.example/api:2.0.0", "--format", "json", "--out", "out"]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).decision.strategy).toBe("blue-green");
    const rollout = parse(readFileSync(join(repo.dir, "out", "rollout-api.yaml"), "utf8"));
    expect(rollout.spec.strategy.blueGreen.autoPromotionEnabled).toBe(false);
    expect(rollout.spec.strategy.blueGreen.previewService).toBe("api-preview");
  });

  it("a low-risk change outside critical paths deploys standard (Deployment + Service), with no run recorded", () => {
    const { repo, cli } = setup();
    repo.commit("docs: typo", { "README.md": "# api service\n" });
    const r = cli(["deploy", "plan", "--image", "registry.example/api:1.0.1", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const plan = json(r);
    expect(plan.decision.strategy).toBe("standard");
    expect(plan.run).toBeUndefined();
    expect(readdirSync(join(repo.dir, "deploy")).sort()).toEqual(["deployment-api.yaml", "service-api.yaml"]);
    expect(existsSync(join(repo.dir, ".ledger"))).toBe(false);
  });

  it("usage errors exit 2 in one line: unknown target, impossible weights, missing service", () => {
    const { repo, cli } = setup();
    untestedAuthChange(repo);
    const t = cli(["deploy", "plan", "--image", "x/y:1", "--target", "helm"]);
    expect(t.code).toBe(2);
    expect(t.stderr.trim().split("\n")).toHaveLength(1);
    // A small tier-1 change comes out canary; weights that never reach 100 make that plan impossible.
    const small = setup("  canarySteps: [10, 50]\n");
    small.repo.commit("feat(auth): one constant", {
      "src/auth/a.ts": "export const a = 1;\n",
      "test/auth.test.ts": "t\n",
    });
    const w = small.cli(["deploy", "plan", "--image", "x/y:1", "--run-id", "w-1"]);
    expect(w.code, w.stderr).toBe(2);
    expect(w.stderr).toMatch(/impossible canary plan: weights never reach 100/);
    expect(existsSync(join(small.repo.dir, ".ledger"))).toBe(false); // refused before anything was recorded
    expect(cli(["deploy", "plan", "--image", "x/y:1", "--service", "Bad_Name", "--strategy", "blue-green"]).code).toBe(
      2,
    );
  });

  const kubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;
  if (!kubectl)
    console.warn("SKIPPED: kubectl is not installed, so `kubectl kustomize` over the manifests is not checked");
  it.skipIf(!kubectl)("kubectl kustomize builds the written manifests (Argo Rollouts and Flagger)", () => {
    const { repo, cli } = setup("  trafficRouting: istio\n");
    untestedAuthChange(repo);
    for (const target of ["argo-rollouts", "flagger"]) {
      const out = join(repo.dir, `k-${target}`);
      expect(
        cli(["deploy", "plan", "--image", "registry.example/api:2.0.0", "--target", target, "--out", out]).code,
      ).toBe(0);
      writeFileSync(
        join(out, "kustomization.yaml"),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${readdirSync(out)
          .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
          .map((f) => `  - ${f}`)
          .join("\n")}\n`,
      );
      const k = spawnSync("kubectl", ["kustomize", out], { encoding: "utf8" });
      expect(k.status, k.stderr).toBe(0);
      expect(k.stdout).toMatch(target === "flagger" ? /kind: Canary/ : /kind: Rollout/);
      expect(k.stdout).toMatch(/image: registry.example\/api:2.0.0/);
    }
  });
});

describe("approval gate", () => {
  it("pending → approved with a signed approval → invalidated when HEAD moves or the run is re-planned", () => {
    const { repo, cli } = setup();
    untestedAuthChange(repo);
    const plan = json(
      cli(["deploy", "plan", "--image", "registry.example/api:2.0.0", "--run-id", "rel-2", "--format", "json"]),
    );
    const gate = (...extra: string[]) => cli(["deploy", "gate", "--run", "rel-2", "--format", "json", ...extra]);
    let g = gate();
    expect(g.code).toBe(1);
    expect(json(g).status).toBe("pending");
    // As many distinct approvers as the decision requires (HIGH likelihood on tier 1 may need two).
    const approvers = ["alice", "bob"].slice(0, Math.max(1, plan.run.gate.required as number));
    for (const a of approvers) expect(cli(["approve", "rel-2", "--key", sshKey(a).priv]).code).toBe(0);
    g = gate("--digest", plan.run.digest);
    expect(g.code, g.stderr).toBe(0);
    expect(json(g)).toMatchObject({
      status: "approved",
      approvers: approvers.map((a) => `${a}@example.com`),
      digest: plan.run.digest,
    });
    const text = cli(["deploy", "gate", "--run", "rel-2"]);
    expect(text.stdout.trim()).toBe("approved");
    // A gate built for another digest is invalidated.
    g = gate("--digest", "b".repeat(64));
    expect(g.code).toBe(1);
    expect(json(g).status).toBe("invalidated");
    // HEAD moves: the approvals were for another commit.
    repo.commit("feat: more", { "src/more.ts": "export const more = 1;\n" });
    g = gate();
    expect(g.code).toBe(1);
    expect(json(g)).toMatchObject({ status: "invalidated" });
    expect(json(g).reason).toMatch(/HEAD moved/);
    // Re-planned for the new HEAD: the old digest is invalidated, the new plan is pending again.
    const again = json(
      cli([
        "deploy",
        "plan",
        "--image",
        "registry.example/api:2.0.1",
        "--run-id",
        "rel-2",
        "--format",
        "json",
        "--strategy",
        "blue-green",
      ]),
    );
    expect(again.run.digest).not.toBe(plan.run.digest);
    expect(json(gate("--digest", plan.run.digest)).status).toBe("invalidated");
    expect(json(gate("--digest", again.run.digest)).status).toBe("pending");
    expect(cli(["deploy", "gate", "--run", "no-such-run"]).code).toBe(1);
    expect(cli(["deploy", "gate", "--run", "x"]).code).toBe(2); // malformed run ID
  });
});

describe("freeze windows", () => {
  it("deploy plan refuses during a freeze; a signed approval of the run overrides it; an approval of another plan does not", () => {
    const { repo, cli } = setup(
      `  freezes:\n    - name: year-end\n      start: "2000-01-01T00:00:00Z"\n      end: "2100-01-01T00:00:00Z"\n`,
    );
    repo.commit("docs: typo", { "README.md": "# api service\n" });
    const args = ["deploy", "plan", "--image", "registry.example/api:1.0.1", "--run-id", "fz-1"];
    const refused = cli(args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /deploy freeze "year-end" in force until 2100-01-01T00:00:00.000Z: an override needs 1 signed approval\(s\) of run fz-1/,
    );
    expect(existsSync(join(repo.dir, "deploy"))).toBe(false);
    expect(cli(["approve", "fz-1", "--key", sshKey("bob").priv]).code).toBe(0);
    // The approval binds the plan: another image is another plan.
    const other = cli(["deploy", "plan", "--image", "registry.example/api:9.9.9", "--run-id", "fz-1"]);
    expect(other.code).toBe(1);
    // Back to the approved plan? Re-recording it supersedes the other plan again, and bob's approval of this digest counts.
    const ok = cli(args);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/freeze "year-end" .*overridden by the approvals of run fz-1/);
    expect(existsSync(join(repo.dir, "deploy", "deployment-api.yaml"))).toBe(true);
  });

  it("an RFC 5545 daily recurrence freezes too", () => {
    const { repo, cli } = setup(
      `  freezes:\n    - name: always\n      rrule: "DTSTART:20200101T000000Z\\nRRULE:FREQ=DAILY"\n      duration: 24h\n`,
    );
    repo.commit("docs: typo", { "README.md": "# api service\n" });
    const r = cli(["deploy", "plan", "--image", "registry.example/api:1.0.1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/deploy freeze "always"/);
  });
});

describe("deployment and incident records", () => {
  it("records are written through the ledger, signed by the producer, read back, and rollback uses the last stable version", () => {
    const producer = makeProducer();
    const { repo, cli } = setup(producer.yaml);
    const head = repo.git("rev-parse", "HEAD").trim();
    const rec = (...a: string[]) => cli(["deploy", "record", "--service", "api", "--env", "production", ...a]);
    expect(
      rec(
        "--version",
        "1.0.0",
        "--status",
        "started",
        "--commit",
        head.slice(0, 8),
        "--image",
        "registry.example/api:1.0.0",
        "--key",
        producer.keyFile,
      ).code,
    ).toBe(0);
    expect(
      rec(
        "--version",
        "1.0.0",
        "--status",
        "succeeded",
        "--commit",
        "HEAD",
        "--image",
        "registry.example/api:1.0.0",
        "--key",
        producer.keyFile,
      ).code,
    ).toBe(0);
    expect(rec("--version", "1.1.0", "--status", "started", "--image", "registry.example/api:1.1.0").code).toBe(0); // unsigned
    expect(rec("--version", "1.1.0", "--status", "failed", "--key", producer.keyFile).code).toBe(0);
    expect(rec("--version", "1.1.0", "--status", "exploded").code).toBe(2);
    // The program's own --version does not swallow the record's, with a global option first too.
    const withConfig = cli([
      "--config",
      ".gitops-health.yml",
      "deploy",
      "record",
      "--service",
      "api",
      "--env",
      "staging",
      "--version",
      "0.9.0",
      "--status",
      "succeeded",
    ]);
    expect(withConfig.code, withConfig.stderr).toBe(0);
    expect(withConfig.stderr).toMatch(/recorded deploy.succeeded api@staging 0.9.0/);
    expect(rec("--version", "1.1.0", "--status", "failed", "--commit", "deadbeef").code).toBe(2);
    expect(
      cli([
        "incident",
        "open",
        "--id",
        "inc-7",
        "--service",
        "api",
        "--env",
        "production",
        "--severity",
        "sev2",
        "--key",
        producer.keyFile,
      ]).code,
    ).toBe(0);
    expect(cli(["incident", "resolve", "--id", "inc-7", "--key", producer.keyFile]).code).toBe(0);

    const events = json(
      cli(["deploy", "events", "--service", "api", "--env", "production", "--format", "json"]),
    ) as unknown as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(events.map((e) => e.type)).toEqual([
      "deploy.started",
      "deploy.succeeded",
      "deploy.started",
      "deploy.failed",
    ]);
    expect(events[0].record.commit).toBe(head); // resolved to the full SHA
    expect(events[1].record.commit).toBe(head);
    expect(events.map((e) => e.producer)).toEqual([
      "ci.example.invalid",
      "ci.example.invalid",
      null,
      "ci.example.invalid",
    ]);
    expect(events[2].untrusted).toBe("unsigned");
    const incidents = json(cli(["incident", "list", "--format", "json"])) as unknown as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(incidents.map((e) => [e.type, e.record.id, e.record.status, e.producer])).toEqual([
      ["incident.opened", "inc-7", "open", "ci.example.invalid"],
      ["incident.resolved", "inc-7", "resolved", "ci.example.invalid"],
    ]);
    // Generic audit append cannot forge them.
    expect(cli(["audit", "append", "--type", "deploy.succeeded", "--data", "{}"]).code).toBe(2);
    expect(cli(["audit", "append", "--type", "incident.resolved", "--data", "{}"]).code).toBe(2);

    // Emergency rollback to the last version that succeeded.
    expect(cli(["deploy", "rollback", "--to", "1.1.0", "--service", "api", "--env", "production"]).code).toBe(1);
    const rb = cli([
      "deploy",
      "rollback",
      "--to",
      "1.0.0",
      "--service",
      "api",
      "--env",
      "production",
      "--out",
      "rb",
      "--format",
      "json",
      "--key",
      producer.keyFile,
    ]);
    expect(rb.code, rb.stderr).toBe(0);
    expect(json(rb)).toMatchObject({
      from: "1.1.0",
      to: "1.0.0",
      image: "registry.example/api:1.0.0",
      action: "abort-and-redeploy",
    });
    const rollout = parse(readFileSync(join(repo.dir, "rb", "rollout-api.yaml"), "utf8"));
    expect(rollout.spec.template.spec.containers[0].image).toBe("registry.example/api:1.0.0");
    expect(rollout.spec.strategy.canary.steps).toEqual([]);
    const after = json(cli(["deploy", "events", "--format", "json"])) as unknown as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(after[after.length - 1]).toMatchObject({
      type: "deploy.rollback",
      producer: "ci.example.invalid",
      record: { from: "1.1.0", to: "1.0.0" },
    });
  });
});
