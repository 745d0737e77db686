/**
 * `deploy plan`: likelihood from src/risk (`scoreChange`), impact from the configured critical paths and
 * the change's sensitivity, the strategy from the decision table (strategy.ts), validated manifests, and,
 * when the plan needs approvals or a freeze is in force, a guarded run (src/guard) whose approvals the
 * rollout's gate and the freeze override are checked against.
 */
import canonicalize from "canonicalize";
import type { Ledger } from "../audit/types.js";
import type { Config } from "../config/schema.js";
import { GateFailure, UserError } from "../core/errors.js";
import { git, repoRoot } from "../git/exec.js";
import { LEVELS, levelOf, scoreChange, type RiskResult } from "../risk/index.js";
import { activeFreezes, type ActiveFreeze } from "./freeze.js";
// Types only: the guarded run (guard, its signing and verification, the ledger and its PHI screen) is
// loaded when a plan needs one, so a standard plan does not pay for it at start-up (issue 19).
import type { GateAnswer } from "./gate.js";
import {
  buildManifests,
  gateUrl,
  manifestInputFrom,
  prepareManifests,
  type Manifest,
  type Target,
} from "./manifests.js";
import {
  applyRequested,
  decideStrategy,
  impactOf,
  STRATEGIES,
  type Decision,
  type Impact,
  type Strategy,
} from "./strategy.js";

/** Risk features that make a change sensitive (impact at least tier 2). */
export const SENSITIVE_FEATURES = ["AUTH", "CRYPTO", "MIGRATION"] as const;

export interface DeployPlanRequest {
  cwd: string;
  config: Config;
  image: string;
  service?: string;
  strategy?: "auto" | Strategy;
  target?: Target;
  /** the change deployed (default HEAD) */
  rev?: string;
  environment?: "local" | "staging" | "production";
  runId?: string;
  /** the requester's key (SSH or signed-note): signs the recorded plan, as `run --key` does */
  key?: string;
  /** opened only when the plan needs a run (approvals or a freeze) */
  openLedger: () => Promise<Ledger>;
  now?: Date;
  /** false: decide and build the manifests but record nothing (a pipeline dry run); `run` is then absent */
  record?: boolean;
  /** the change's risk when the caller has already scored it (pipeline run), so it is not scored twice */
  risk?: RiskResult;
}

export interface DeployPlan {
  service: string;
  image: string;
  commit: string;
  target: Target;
  risk: Pick<RiskResult, "score" | "level" | "approvals" | "model"> & { warnings?: string[] };
  impact: Impact;
  decision: Decision;
  /** set when the plan needs approvals or overrides a freeze */
  run?: { runId: string; digest: string; gateUrl: string; gate: GateAnswer };
  freezes: ActiveFreeze[];
  manifests: Manifest[];
}

async function changedFiles(cwd: string, sha: string): Promise<string[]> {
  const out = await git(["diff-tree", "--root", "--no-commit-id", "--name-only", "-r", "-z", "--no-renames", sha], {
    cwd,
  });
  return out.split("\0").filter(Boolean);
}

export async function planDeploy(req: DeployPlanRequest): Promise<DeployPlan> {
  const cwd = repoRoot(req.cwd);
  if (!cwd) throw new UserError("deploy plan needs a git repository (the change deployed is scored)");
  const d = req.config.deploy;
  const service = req.service ?? d.service;
  if (!service) throw new UserError("no service: give --service NAME or set deploy.service");
  const requested = req.strategy ?? "auto";
  if (requested !== "auto" && !STRATEGIES.includes(requested))
    throw new UserError(`unknown --strategy "${requested}" (valid: auto, ${STRATEGIES.join(", ")})`);
  const target = req.target ?? d.target;
  const rev = req.rev ?? "HEAD";
  const commit = (await git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { cwd }).catch(() => "")).trim();
  if (!commit) throw new UserError(`unknown revision: ${rev}`);
  const [risk, files, freezes] = await Promise.all([
    req.risk ?? scoreChange({ cwd, rev: commit, resolved: true, config: req.config }),
    changedFiles(cwd, commit),
    activeFreezes(d.freezes, req.now),
  ]);
  const sensitive = SENSITIVE_FEATURES.filter((n) => (risk.factors.find((f) => f.name === n)?.value ?? 0) > 0);
  const impact = impactOf(files, req.config.criticalPaths, [...sensitive]);
  // Likelihood is the model's own level (and a declared Risk-Level that raises it); impact is decided
  // here from the critical paths, so risk's tier floor is not counted twice.
  const modelLevel = levelOf(risk.likelihood);
  const likelihood =
    risk.declared && LEVELS.indexOf(risk.declared) > LEVELS.indexOf(modelLevel) ? risk.declared : modelLevel;
  let decision = decideStrategy({
    likelihood,
    impact,
    classification: req.config.classification,
    riskApprovals: risk.approvals,
  });
  if (requested !== "auto") {
    const r = applyRequested(decision, requested);
    if ("refused" in r) throw new GateFailure(`refused: ${r.refused}`);
    decision = r.decision;
  }
  const environment = req.environment ?? "production";
  const approvals = Math.max(decision.approvals, freezes.length ? 1 : 0);
  const inputs = {
    service,
    namespace: d.namespace,
    image: req.image,
    commit,
    strategy: decision.strategy,
    target,
    routing: d.trafficRouting,
    replicas: d.replicas,
    port: d.port,
    weights: d.canarySteps,
    pause: d.pause,
    analysis: d.analysis,
    approvals,
    environment,
    freeze: freezes.map((f) => f.name),
  };
  const base = manifestInputFrom(d, { service, image: req.image, strategy: decision.strategy, target });
  // Impossible plans are refused before anything is recorded.
  await prepareManifests(d.trafficRouting);
  let manifests = buildManifests(base);
  let run: DeployPlan["run"];
  if ((decision.approvalGate || freezes.length) && req.record !== false) {
    const [
      { buildPlan, recordPlan, verifyContext },
      { planDigest },
      { readRun },
      { approvalGateStatus, DEPLOY_RUN_HEADER },
    ] = await Promise.all([
      import("../guard/index.js"),
      import("../guard/plan.js"),
      import("../guard/runs.js"),
      import("./gate.js"),
    ]);
    const ledger = await req.openLedger();
    try {
      const plan = buildPlan({
        command: ["gitops-health", "deploy", "promote", service, req.image],
        classification: req.config.classification,
        environment,
        runId: req.runId,
        cwd,
        description: `${DEPLOY_RUN_HEADER}\n${canonicalize(inputs)!}`,
      });
      const ctx = verifyContext(req.config, cwd);
      // Without a key, a plan this run already recorded with the same digest (signed then) is re-used as is.
      const recorded = req.key
        ? undefined
        : (await readRun(ledger, plan.runId)).plans.find((p) => p.digest === planDigest(plan) && p.requesterSig);
      if (!req.key && !recorded)
        throw new UserError(
          `this deploy needs approvals (run ${plan.runId}): sign the plan as its requester with --key FILE (an SSH or signed-note key the config trusts)`,
        );
      await recordPlan(ledger, plan, req.config, ctx, req.key);
      const digest = planDigest(plan);
      const gate = await approvalGateStatus(ledger, plan.runId, digest, {
        config: req.config,
        ctx,
        head: commit === plan.head ? plan.head : undefined,
        now: req.now,
      });
      run = { runId: plan.runId, digest, gateUrl: gateUrl(d.gateBaseUrl, plan.runId, digest), gate };
    } finally {
      await ledger.close();
    }
    if (freezes.length && run.gate.status !== "approved") {
      const f = freezes[0]!;
      throw Object.assign(
        new GateFailure(
          `deploy freeze "${f.name}" in force until ${f.until}: an override needs ${run.gate.required} signed approval(s) of run ${run.runId} (gitops-health approve ${run.runId}), then the same deploy plan --run-id ${run.runId}`,
        ),
        { run },
      );
    }
  }
  if (decision.approvalGate && run) manifests = buildManifests({ ...base, gate: { url: run.gateUrl } });
  return {
    service,
    image: req.image,
    commit,
    target,
    risk: {
      score: risk.score,
      level: risk.level,
      approvals: risk.approvals,
      model: risk.model,
      ...(risk.warnings ? { warnings: risk.warnings } : {}),
    },
    impact,
    decision: { ...decision, approvals },
    ...(run ? { run } : {}),
    freezes,
    manifests,
  };
}
