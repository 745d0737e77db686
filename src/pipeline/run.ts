/**
 * `pipeline run`: the lifecycle as one command, composed of the existing domains. Checks required by
 * the classification (src/evidence/run.ts) → compliance gate (the `compliance` check) → risk
 * (src/risk) → deploy plan (src/deploy/plan.ts) → approvals (src/deploy/gate.ts, signed and bound to
 * the plan digest) → deploy (the configured command) → verify (the configured health check) → record
 * (signed deploy.succeeded) → evidence bundle (src/audit/bundle.ts). A failed verify marks the deploy
 * failed, runs the rollback, opens an incident and bisects (src/forensics) between the last good
 * deployed commit and this one.
 *
 * Dry run by default: nothing runs and nothing is written; the events say exactly what would run.
 * Every stage outcome of a real run is a signed `pipeline.*` ledger entry, and a run resumes from
 * those (ledger.ts); a changed HEAD invalidates it.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AuditLedger } from "../audit/ledger.js";
import type { Ledger } from "../audit/types.js";
import type { NoteSigner } from "../core/note-key.js";
import type { Config } from "../config/schema.js";
import { GateFailure, UserError } from "../core/errors.js";
import { writeFileAtomic } from "../core/fs.js";
import { git, repoRoot } from "../git/exec.js";
import { producerTrust, readCheckEvidence, type ProducerTrust } from "../evidence/checks.js";
import { executeCheck, resolveCheckCommand, runCheck, type CheckCommand } from "../evidence/run.js";
import { loadBuiltinPack } from "../policy/packs.js";
import { scoreChange, type RiskResult } from "../risk/index.js";
import { newRunId, checkRunId, type Environment } from "../guard/plan.js";
import { verifyContext } from "../guard/index.js";
import { appendRecord, readDeployEvents, type DeployRecord } from "../deploy/events.js";
import { approvalGateStatus } from "../deploy/gate.js";
import { manifestYaml } from "../deploy/manifests.js";
import { planDeploy, type DeployPlan } from "../deploy/plan.js";
import { appendPipeline, readPipeline, type Producer } from "./ledger.js";
import { progressOf, resumePoint, STAGES, type AnyStage, type Stage, type StageOutcome } from "./stages.js";

export interface PipelineOptions {
  cwd: string;
  config: Config;
  /** path of the CLI script, for built-in checks (`gitops-health scan`, `compliance check`) */
  cli: string;
  environment: Environment;
  /** false (default): a dry run */
  approve: boolean;
  runId?: string;
  from?: Stage;
  image?: string;
  version?: string;
  service?: string;
  /** producer key that signs check results, deploy records and pipeline entries (required with approve) */
  producerKey?: string;
  /** requester key that signs a plan needing approvals */
  requesterKey?: string;
  /** opens the ledger; `readOnly` for a dry run */
  openLedger(readOnly: boolean): Promise<AuditLedger>;
  /** the ledger key that signs the evidence bundle's checkpoint (bundle stage skipped without it) */
  bundleSigner?: NoteSigner;
  /** base environment for the commands the pipeline runs (the front passes the process's) */
  env: NodeJS.ProcessEnv;
  onEvent?: (e: PipelineEvent) => void;
  /** where command output goes (default: discarded) */
  sink?: (d: Buffer) => void;
  now?: () => Date;
}

export type PipelineEvent =
  | {
      event: "run";
      runId: string;
      head: string;
      dryRun: boolean;
      service: string;
      version: string;
      image: string;
      environment: Environment;
      resumedFrom?: Stage;
    }
  | { event: "stage-start"; stage: AnyStage; command?: string }
  | ({ event: "stage" } & StageOutcome & { resumed?: boolean })
  | { event: "done"; runId: string; status: PipelineStatus; exitCode: number; message: string };

export type PipelineStatus = "dry-run" | "completed" | "failed" | "pending-approval" | "rolled-back" | "invalidated";

export interface PipelineResult {
  runId: string;
  status: PipelineStatus;
  exitCode: number;
  stages: StageOutcome[];
  message: string;
}

/** A configured command: a string runs through the shell, an array without one. */
export function commandOf(c: string | string[], source: CheckCommand["source"] = "config"): CheckCommand {
  return typeof c === "string"
    ? { display: c, file: c, args: [], shell: true, source }
    : { display: c.join(" "), file: c[0]!, args: c.slice(1), shell: false, source };
}

const shellArgv = (c: CheckCommand): string[] => (c.shell ? ["sh", "-c", c.file] : [c.file, ...c.args]);

/** An incident ID for a run (ledger labels are at most 63 characters). */
export function incidentId(runId: string): string {
  return `inc-${runId}`.slice(0, 63).replace(/[^A-Za-z0-9]+$/, "");
}

/** The ledger handed to planDeploy, which closes what it opens: the same instance, not closed. */
function borrowed(ledger: Ledger): Ledger {
  return new Proxy(ledger, {
    get(t, p) {
      if (p === "close") return async () => {};
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const found = repoRoot(o.cwd);
  if (!found) throw new UserError("pipeline run needs a git repository");
  const root: string = found;
  const head = (await git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], { cwd: root }).catch(() => "")).trim();
  if (!head) throw new UserError("pipeline run needs a commit: HEAD has none yet");
  const config = o.config;
  const p = config.pipeline;
  const named = o.service ?? config.deploy.service;
  if (!named) throw new UserError("no service: give --service NAME or set deploy.service");
  const service: string = named;
  const version = o.version ?? head.slice(0, 12);
  const template = o.image ?? p?.image;
  if (!template)
    throw new UserError("no image: give --image IMG or set pipeline.image (e.g. registry.example/api:{short})");
  const image = template
    .replaceAll("{commit}", head)
    .replaceAll("{short}", head.slice(0, 12))
    .replaceAll("{version}", version);
  if (o.runId !== undefined) checkRunId(o.runId);
  if (o.from && !o.runId) throw new UserError("--from resumes a run: give --run-id ID too");
  const runId = o.runId ?? newRunId(o.now?.() ?? new Date());
  const trust = producerTrust(config, root);
  const emit = (e: PipelineEvent) => o.onEvent?.(e);
  const sink = o.sink ?? (() => {});
  const now = () => o.now?.() ?? new Date();

  // Every command is resolved before anything runs: a missing one is a usage error, not a half-run pipeline.
  const required = config.policy.requiredChecks ?? loadBuiltinPack(config.classification).requiredChecks;
  const checkNames = required.filter((n) => n !== "compliance");
  const checkCommands = new Map<string, CheckCommand>();
  for (const n of [...checkNames, "compliance"])
    checkCommands.set(n, await resolveCheckCommand({ name: n, argv: [], config, cli: o.cli, cwd: root }));
  const d = config.deploy;
  const outDir = resolve(root, p?.out ?? ".gitops-health/deploy", runId);
  const deployCmd = p?.deploy ? commandOf(p.deploy) : commandOf(["kubectl", "apply", "-f", outDir], "built-in");
  const verifyCmd = p?.verify
    ? commandOf(p.verify)
    : d.target === "argo-rollouts"
      ? commandOf(["kubectl", "argo", "rollouts", "status", service, "-n", d.namespace, "--timeout", "10m"], "built-in")
      : undefined;
  const rollbackCmd = p?.rollback
    ? commandOf(p.rollback)
    : d.target === "argo-rollouts"
      ? commandOf(["kubectl", "argo", "rollouts", "abort", service, "-n", d.namespace], "built-in")
      : d.target === "kubernetes"
        ? commandOf(["kubectl", "rollout", "undo", `deployment/${service}`, "-n", d.namespace], "built-in")
        : undefined; // Flagger rolls a failed canary back itself
  const testConf = p?.test ?? config.checks.test;
  const testCmd = testConf ? commandOf(testConf) : undefined;
  const commandEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...o.env,
    GITOPS_HEALTH_RUN_ID: runId,
    GITOPS_HEALTH_COMMIT: head,
    GITOPS_HEALTH_IMAGE: image,
    GITOPS_HEALTH_VERSION: version,
    GITOPS_HEALTH_SERVICE: service,
    GITOPS_HEALTH_ENV: o.environment,
    GITOPS_HEALTH_MANIFESTS: outDir,
    ...extra,
  });

  const stages: StageOutcome[] = [];
  let risk: RiskResult | undefined;
  let plan: DeployPlan | undefined;
  const scoreRisk = async (): Promise<StageOutcome> => {
    const t0 = Date.now();
    risk = await scoreChange({ cwd: root, rev: head, config });
    return {
      stage: "risk",
      status: "passed",
      durationMs: Date.now() - t0,
      detail: `risk ${risk.level} ${risk.score}/100 (likelihood ${risk.likelihood}/100${risk.impact ? `, impact tier ${risk.impact.tier}` : ""})`,
      data: { score: risk.score, level: risk.level, likelihood: risk.likelihood, approvals: risk.approvals },
    };
  };
  const makePlan = async (record: boolean, ledger?: Ledger): Promise<StageOutcome> => {
    const t0 = Date.now();
    try {
      plan = await planDeploy({
        cwd: root,
        config,
        image,
        service,
        environment: o.environment,
        runId,
        key: o.requesterKey,
        risk,
        record,
        openLedger: async () => (ledger ? borrowed(ledger) : o.openLedger(false)),
      });
    } catch (err) {
      // planDeploy's own flag for the requester key is --key; here that is the producer's
      if (err instanceof UserError && /needs approvals/.test(err.message))
        throw new UserError(
          `this deploy needs approvals (run ${runId}): the requester signs its plan: give --requester-key FILE (an SSH or signed-note key the config trusts), then resume with --run-id ${runId}`,
        );
      throw err;
    }
    const gate = plan.decision.approvalGate || plan.freezes.length > 0;
    return {
      stage: "plan",
      status: record ? "passed" : "would-run",
      durationMs: Date.now() - t0,
      detail: `${plan.decision.strategy} on ${plan.target}; impact ${plan.impact.tier === null ? "none declared" : `tier ${plan.impact.tier}`}; ${plan.decision.approvals} approval(s)${record ? `; ${plan.manifests.length} manifest(s) in ${outDir}` : `; would write ${plan.manifests.map((m) => m.file).join(", ")} to ${outDir}`}`,
      data: {
        strategy: plan.decision.strategy,
        target: plan.target,
        tier: plan.impact.tier,
        approvals: plan.decision.approvals,
        approvalGate: gate,
        ...(plan.run ? { digest: plan.run.digest } : {}),
      },
    };
  };

  if (!o.approve) {
    // Dry run: score and plan without recording anything; describe every other stage.
    emit({ event: "run", runId, head, dryRun: true, service, version, image, environment: o.environment });
    const would = (stage: AnyStage, detail: string, data?: Record<string, unknown>): StageOutcome => ({
      stage,
      status: "would-run",
      detail,
      durationMs: 0,
      ...(data ? { data } : {}),
    });
    const push = (s: StageOutcome) => {
      stages.push(s);
      emit({ event: "stage", ...s });
    };
    push(
      would(
        "checks",
        checkNames.length
          ? checkNames.map((n) => `${n}: ${checkCommands.get(n)!.display} (${checkCommands.get(n)!.source})`).join("; ")
          : "no checks required",
        { checks: checkNames },
      ),
    );
    push(
      would(
        "compliance",
        `compliance: ${checkCommands.get("compliance")!.display} (${checkCommands.get("compliance")!.source})`,
      ),
    );
    push({ ...(await scoreRisk()), status: "would-run" });
    push(await makePlan(false));
    const needs = plan!.decision.approvals;
    push(
      would(
        "approvals",
        needs > 0 || plan!.freezes.length
          ? `${Math.max(needs, 1)} signed approval(s) of run ${runId} over the plan digest (gitops-health approve ${runId})${plan!.freezes.length ? `; freeze "${plan!.freezes[0]!.name}" in force` : ""}`
          : "none needed",
      ),
    );
    push(would("deploy", `${deployCmd.display} (${deployCmd.source}); records deploy.started`));
    push(
      would(
        "verify",
        verifyCmd
          ? `${verifyCmd.display} (${verifyCmd.source}), ${p?.verifyAttempts ?? 1} attempt(s); on failure: ${rollbackCmd ? rollbackCmd.display : "no rollback command (Flagger rolls back itself)"}, incident ${incidentId(runId)}${testCmd ? `, forensics bisect with ${testCmd.display}` : ""}`
          : "no health check configured (pipeline.verify)",
      ),
    );
    push(would("record", `deploy.succeeded ${service}@${o.environment} ${version}`));
    push(
      would(
        "bundle",
        o.bundleSigner
          ? `evidence bundle to ${join(outDir, "evidence.json")}`
          : "no ledger signing key: no evidence bundle",
      ),
    );
    const message = `dry run of ${runId}: nothing ran and nothing was written; run with --approve to execute`;
    emit({ event: "done", runId, status: "dry-run", exitCode: 0, message });
    return { runId, status: "dry-run", exitCode: 0, stages, message };
  }

  if (!o.producerKey)
    throw new UserError(
      "pipeline run --approve signs check results, deploy records and its own stages with a producer key: give --key FILE, set GITOPS_HEALTH_EVIDENCE_KEY or evidence.key",
    );
  const producer: Producer = { keyFile: o.producerKey, namespace: config.evidence.namespace };
  const ledger = await o.openLedger(false);
  try {
    return await execute(ledger);
  } finally {
    await ledger.close();
  }

  async function execute(ledger: AuditLedger): Promise<PipelineResult> {
    const record = await readPipeline(ledger, runId, trust);
    // the evidence bundle covers the run from its start (the first invocation's, when resumed)
    const startedAt = record.started?.time ?? now().toISOString();
    let start: Stage | null = "checks";
    if (record.started) {
      if (record.invalidated || record.started.head !== head) {
        if (!record.invalidated)
          await appendPipeline(
            ledger,
            "pipeline.invalidated",
            { runId, head, startedAt: record.started.head },
            producer,
          );
        const message = `run ${runId} was started at ${record.started.head.slice(0, 12)} and HEAD is now ${head.slice(0, 12)}: the run is invalidated; start a new run`;
        emit({ event: "done", runId, status: "invalidated", exitCode: 1, message });
        return { runId, status: "invalidated", exitCode: 1, stages, message };
      }
      const progress = progressOf(record.stages);
      if (progress.state === "completed" && !o.from) {
        const message = `run ${runId} already completed`;
        emit({ event: "done", runId, status: "completed", exitCode: 0, message });
        return { runId, status: "completed", exitCode: 0, stages, message };
      }
      start = resumePoint(progress, o.from);
    } else {
      if (o.from)
        throw new UserError(`no run ${runId} recorded (signed by a trusted producer) to resume from ${o.from}`);
      await appendPipeline(
        ledger,
        "pipeline.started",
        { runId, head, environment: o.environment, classification: config.classification, service, version, image },
        producer,
      );
    }
    const resumed = Boolean(record.started);
    emit({
      event: "run",
      runId,
      head,
      dryRun: false,
      service,
      version,
      image,
      environment: o.environment,
      ...(resumed && start ? { resumedFrom: start } : {}),
    });
    const startAt = STAGES.indexOf(start ?? "bundle");

    const finish = async (
      status: Exclude<PipelineStatus, "dry-run" | "invalidated">,
      message: string,
    ): Promise<PipelineResult> => {
      await appendPipeline(ledger, "pipeline.finished", { runId, head, status }, producer);
      const exitCode = status === "completed" ? 0 : 1;
      emit({ event: "done", runId, status, exitCode, message });
      return { runId, status, exitCode, stages, message };
    };
    const done = async (s: StageOutcome) => {
      stages.push(s);
      await appendPipeline(
        ledger,
        "pipeline.stage",
        {
          runId,
          head,
          stage: s.stage,
          status: s.status,
          durationMs: s.durationMs,
          ...(s.data ? { data: pickData(s.data) } : {}),
        },
        producer,
      );
      emit({ event: "stage", ...s });
      return s;
    };
    const runCommand = async (c: CheckCommand, extra?: Record<string, string>) =>
      executeCheck(c, root, sink, commandEnv(extra));
    const deployRecord = (status: DeployRecord["status"]): DeployRecord => ({
      service,
      env: o.environment,
      version,
      status,
      commit: head,
      image,
      occurredAt: now().toISOString(),
    });

    for (const stage of STAGES.slice(startAt)) {
      const t0 = Date.now();
      const ms = () => Date.now() - t0;
      if (stage === "checks" || stage === "compliance") {
        const names = stage === "checks" ? checkNames : ["compliance"];
        const have = await readCheckEvidence(ledger, head, trust);
        const ran: string[] = [];
        const failed: string[] = [];
        for (const n of names) {
          if (have.passed.includes(n)) continue;
          const c = checkCommands.get(n)!;
          emit({ event: "stage-start", stage, command: `${n}: ${c.display}` });
          const r = await runCheck({
            name: n,
            command: c,
            root,
            ledger,
            keyFile: producer.keyFile,
            namespace: producer.namespace,
            sink,
          });
          ran.push(n);
          if (r.result.status !== "passed") failed.push(n);
          if (r.result.tree === "dirty") failed.push(`${n}-uncommitted`);
        }
        const already = names.filter((n) => have.passed.includes(n));
        const detail = `${ran.length ? `ran ${ran.join(", ")}` : "nothing to run"}${already.length ? `; already passed for this commit: ${already.join(", ")}` : ""}${failed.length ? `; failed: ${failed.join(", ")}` : ""}`;
        await done({
          stage,
          status: failed.length ? "failed" : "passed",
          durationMs: ms(),
          detail,
          data: { ran, failed },
        });
        if (failed.length)
          return finish(
            "failed",
            failed.some((f) => f.endsWith("-uncommitted"))
              ? `stage ${stage}: the working tree has uncommitted changes, so check results do not count for ${head.slice(0, 12)}`
              : `stage ${stage} failed: ${failed.join(", ")}; fix and commit (a new run), or resume this one with --run-id ${runId} to retry`,
          );
      } else if (stage === "risk") {
        emit({ event: "stage-start", stage });
        await done(await scoreRisk());
      } else if (stage === "plan") {
        if (!risk) risk = (await scoreRiskQuiet()).risk;
        emit({ event: "stage-start", stage });
        let s: StageOutcome;
        try {
          s = await makePlan(true, ledger);
        } catch (err) {
          if (!(err instanceof GateFailure)) throw err;
          await done({ stage, status: "failed", durationMs: ms(), detail: err.message });
          return finish("failed", err.message);
        }
        mkdirSync(outDir, { recursive: true });
        for (const m of plan!.manifests)
          writeFileAtomic(
            join(outDir, m.file),
            m.file.endsWith(".json") ? JSON.stringify(m.object, null, 2) + "\n" : manifestYaml(m.object),
          );
        await done(s);
      } else {
        if (!plan) {
          // Resumed past the plan: decide it again (same inputs, same digest; nothing new is recorded).
          if (!risk) risk = (await scoreRiskQuiet()).risk;
          const s = await makePlan(true, ledger);
          stages.push(s);
          emit({ event: "stage", ...s, resumed: true });
        }
        const outcome = await laterStage(stage, ms);
        if (outcome) return outcome;
      }
    }
    return finish("completed", `run ${runId} completed: ${service} ${version} deployed to ${o.environment}`);

    async function scoreRiskQuiet() {
      return { risk: await scoreChange({ cwd: root, rev: head, config }) };
    }

    /** approvals, deploy, verify (and on failure rollback, incident, bisect), record, bundle; returns a result to stop. */
    async function laterStage(stage: Stage, ms: () => number): Promise<PipelineResult | undefined> {
      const pl = plan!;
      if (stage === "approvals") {
        if (!pl.run) {
          await done({ stage, status: "skipped", durationMs: ms(), detail: "no approvals needed" });
          return;
        }
        const gate = await approvalGateStatus(ledger, runId, pl.run.digest, {
          config,
          ctx: verifyContext(config, root),
          head,
          now: now(),
        });
        const status = gate.status === "approved" ? "passed" : gate.status === "pending" ? "pending" : "failed";
        await done({
          stage,
          status,
          durationMs: ms(),
          detail: `${gate.status}: ${gate.reason}`,
          data: { required: gate.required, approvals: gate.approvers.length, digest: pl.run.digest },
        });
        if (status === "pending")
          return finish(
            "pending-approval",
            `run ${runId} waits for ${gate.required} approval(s): gitops-health approve ${runId}, then gitops-health pipeline run --approve --run-id ${runId}`,
          );
        if (status === "failed") return finish("failed", `approvals of run ${runId}: ${gate.reason}`);
        return;
      }
      if (stage === "deploy") {
        emit({ event: "stage-start", stage, command: deployCmd.display });
        await appendRecord(ledger, "deploy", deployRecord("started"), producer);
        const r = await runCommand(deployCmd, { GITOPS_HEALTH_STRATEGY: pl.decision.strategy });
        const ok = r.exitCode === 0;
        await done({
          stage,
          status: ok ? "passed" : "failed",
          durationMs: ms(),
          detail: `${deployCmd.display}: exit ${r.exitCode}`,
          data: { exitCode: r.exitCode, outputSha256: r.outputSha256 },
        });
        if (!ok) {
          await appendRecord(ledger, "deploy", deployRecord("failed"), producer);
          return finish("failed", `deploy command failed (exit ${r.exitCode}); recorded deploy.failed`);
        }
        return;
      }
      if (stage === "verify") {
        if (!verifyCmd) {
          await done({
            stage,
            status: "skipped",
            durationMs: ms(),
            detail: "no health check configured (pipeline.verify)",
          });
          return;
        }
        const attempts = p?.verifyAttempts ?? 1;
        let r = { exitCode: 1, outputSha256: "" };
        for (let i = 1; i <= attempts; i++) {
          emit({ event: "stage-start", stage, command: `${verifyCmd.display} (attempt ${i} of ${attempts})` });
          r = await runCommand(verifyCmd);
          if (r.exitCode === 0 || i === attempts) break;
          await new Promise((w) => setTimeout(w, (p?.verifyIntervalSeconds ?? 10) * 1000));
        }
        if (r.exitCode === 0) {
          await done({
            stage,
            status: "passed",
            durationMs: ms(),
            detail: `${verifyCmd.display}: healthy`,
            data: { exitCode: 0 },
          });
          return;
        }
        await done({
          stage,
          status: "failed",
          durationMs: ms(),
          detail: `${verifyCmd.display}: exit ${r.exitCode}`,
          data: { exitCode: r.exitCode },
        });
        return onFailedVerify();
      }
      if (stage === "record") {
        const r = await appendRecord(ledger, "deploy", deployRecord("succeeded"), producer);
        await done({
          stage,
          status: "passed",
          durationMs: ms(),
          detail: `recorded ${r.type} ${service}@${o.environment} ${version} (seq ${r.seq})`,
          data: { seq: r.seq },
        });
        return;
      }
      // bundle
      if (!o.bundleSigner) {
        await done({
          stage,
          status: "skipped",
          durationMs: ms(),
          detail: "no ledger signing key (audit keygen; ledger.keyFile): no evidence bundle",
        });
        return;
      }
      const { buildBundle } = await import("../audit/bundle.js");
      const { formatVerifierKey } = await import("../core/note-key.js");
      const { note } = await ledger.checkpoint(o.bundleSigner);
      const bundle = await buildBundle(ledger, {
        from: startedAt,
        checkpoint: note,
        verifierKey: formatVerifierKey(o.bundleSigner),
      });
      const file = join(outDir, "evidence.json");
      mkdirSync(outDir, { recursive: true });
      writeFileAtomic(file, JSON.stringify(bundle, null, 2) + "\n");
      await done({
        stage,
        status: "passed",
        durationMs: ms(),
        detail: `${bundle.entries.length} entries with inclusion proofs in ${file}`,
        data: { entries: bundle.entries.length, treeSize: bundle.treeSize },
      });
      return;
    }

    /** Mark the deploy failed, roll back, open an incident, bisect between the last good deployed commit and HEAD. */
    async function onFailedVerify(): Promise<PipelineResult> {
      await appendRecord(ledger, "deploy", deployRecord("failed"), producer);
      const events = await readDeployEvents(ledger, trust, { service, env: o.environment });
      const good = [...events]
        .reverse()
        .find(
          (e) =>
            e.type === "deploy.succeeded" &&
            e.producer !== null &&
            "version" in e.record &&
            e.record.commit !== null &&
            e.record.commit !== head,
        );
      const last = good?.record as DeployRecord | undefined;
      // rollback
      let t0 = Date.now();
      let rolledBack = false;
      if (!rollbackCmd)
        await done({
          stage: "rollback",
          status: "skipped",
          durationMs: 0,
          detail: "no rollback command: Flagger rolls a failed canary back itself",
        });
      else {
        emit({ event: "stage-start", stage: "rollback", command: rollbackCmd.display });
        const r = await executeCheck(
          rollbackCmd,
          root,
          sink,
          commandEnv({
            GITOPS_HEALTH_ROLLBACK_TO: last?.version ?? "",
            GITOPS_HEALTH_ROLLBACK_IMAGE: last?.image ?? "",
            GITOPS_HEALTH_ROLLBACK_COMMIT: last?.commit ?? "",
          }),
        );
        rolledBack = r.exitCode === 0;
        if (rolledBack) {
          await appendRecord(ledger, "deploy", deployRecord("rolled-back"), producer);
          if (last?.image)
            await appendRecord(
              ledger,
              "rollback",
              {
                service,
                env: o.environment,
                from: version,
                to: last.version,
                image: last.image,
                action: config.deploy.target === "argo-rollouts" ? "abort-and-redeploy" : "redeploy",
                occurredAt: now().toISOString(),
              },
              producer,
            );
        }
        await done({
          stage: "rollback",
          status: rolledBack ? "passed" : "failed",
          durationMs: Date.now() - t0,
          detail: `${rollbackCmd.display}: exit ${r.exitCode}${last ? ` (back to ${last.version})` : " (no earlier good deployment recorded)"}`,
          data: { exitCode: r.exitCode, to: last?.version ?? null },
        });
      }
      // incident
      t0 = Date.now();
      const incident = incidentId(runId);
      await appendRecord(
        ledger,
        "incident",
        {
          id: incident,
          service,
          env: o.environment,
          status: "open",
          severity: "sev2",
          occurredAt: now().toISOString(),
        },
        producer,
      );
      await done({
        stage: "incident",
        status: "passed",
        durationMs: Date.now() - t0,
        detail: `opened incident ${incident}`,
        data: { incident },
      });
      // bisect
      t0 = Date.now();
      let culprit: string | undefined;
      if (!testCmd)
        await done({
          stage: "bisect",
          status: "skipped",
          durationMs: 0,
          detail: "no test command (pipeline.test or checks.test)",
        });
      else if (!last?.commit)
        await done({
          stage: "bisect",
          status: "skipped",
          durationMs: 0,
          detail: "no earlier good deployment with a commit recorded (signed) for this service and environment",
        });
      else {
        emit({
          event: "stage-start",
          stage: "bisect",
          command: `forensics bisect --good ${last.commit.slice(0, 12)} --bad ${head.slice(0, 12)} -- ${testCmd.display}`,
        });
        const { bisect } = await import("../forensics/bisect.js");
        try {
          const report = await bisect({
            cwd: root,
            good: last.commit,
            bad: head,
            command: shellArgv(testCmd),
            prior: "auto",
            passReliable: true,
            confidence: 0.99,
            jobs: 1,
            firstParent: true,
          });
          if (report.outcome === "culprit" && report.culprit) {
            culprit = report.culprit.sha;
            await appendPipeline(
              ledger,
              "pipeline.culprit",
              { runId, incident, commit: culprit, confidence: report.culprit.confidence, good: last.commit, bad: head },
              producer,
            );
          }
          await done({
            stage: "bisect",
            status: culprit ? "passed" : "failed",
            durationMs: Date.now() - t0,
            detail: culprit
              ? `culprit ${culprit.slice(0, 12)} (confidence ${report.culprit!.confidence.toFixed(3)}) attached to ${incident}`
              : `no single culprit (${report.outcome})`,
            data: { outcome: report.outcome, culprit: culprit ?? null, runs: report.runs.length },
          });
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          await done({
            stage: "bisect",
            status: "failed",
            durationMs: Date.now() - t0,
            detail: err.message,
            data: { outcome: "error" },
          });
        }
      }
      return finish(
        rolledBack ? "rolled-back" : "failed",
        `verify failed: deploy of ${version} marked failed${rolledBack ? `, rolled back${last ? ` to ${last.version}` : ""}` : ""}; incident ${incident} opened${culprit ? `; culprit ${culprit.slice(0, 12)}` : ""}`,
      );
    }
  }
}

/** Stage data as the ledger keeps it: labels and numbers only (see ledger.ts). */
function pickData(data: Record<string, unknown>): Record<string, string | number | boolean | null | string[]> {
  const out: Record<string, string | number | boolean | null | string[]> = {};
  const label = (v: string) => /^[A-Za-z0-9][A-Za-z0-9._+\-/:@]{0,127}$/.test(v);
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === "number" || typeof v === "boolean" || v === null) out[k] = v;
    else if (typeof v === "string" && label(v)) out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === "string" && label(x))) out[k] = v.slice(0, 20) as string[];
  }
  return out;
}

export type { ProducerTrust };
