import type { Command } from "commander";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfigFast } from "../../config/fast.js";
import { GateFailure, UserError } from "../../core/errors.js";
import { writeFileAtomic } from "../../core/fs.js";
import { color, parseFormat, say, writeJson, writeOut } from "../output.js";
import { readEnv } from "../../config/env.js";

interface LedgerOpt {
  ledger?: string;
}

/** `deploy plan|gate|record|rollback|events` and `incident open|resolve|list`: progressive delivery over the ledger. */
export function register(program: Command): void {
  // `deploy record --version V` (the issue's interface) would otherwise be taken by the root's
  // --version wherever it appears: when deploy or incident is the command, the root's options are
  // read only before it (so `gitops-health --config FILE deploy ...`).
  const args = process.argv.slice(2);
  const command = args.find((a, i) => !a.startsWith("-") && args[i - 1] !== "--config");
  if (command === "deploy" || command === "incident") program.enablePositionalOptions();
  const configOf = async () => (await loadConfigFast({ file: program.opts().config as string | undefined })).config;
  const ledgerOf = async (opts: LedgerOpt, config: Awaited<ReturnType<typeof configOf>>, readOnly = false) => {
    const { openLedger } = await import("../../audit/index.js");
    return openLedger(opts.ledger ?? process.env.GITOPS_HEALTH_LEDGER ?? config.ledger.location, { readOnly });
  };
  const resolveCommit = async (sha: string | undefined): Promise<string | null> => {
    if (sha === undefined) return null;
    const { git, requireRepoRoot } = await import("../../git/exec.js");
    const cwd = requireRepoRoot(process.cwd(), "--commit");
    const full = (await git(["rev-parse", "--verify", "--quiet", `${sha}^{commit}`], { cwd }).catch(() => "")).trim();
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(full)) throw new UserError(`--commit: unknown commit ${sha}`);
    return full;
  };
  const signer = async (key: string | undefined, config: Awaited<ReturnType<typeof configOf>>) => {
    const { producerKeyFile } = await import("../../evidence/checks.js");
    const keyFile = producerKeyFile(key ?? readEnv().evidenceKey, config, process.cwd());
    return keyFile ? { keyFile, namespace: config.evidence.namespace } : undefined;
  };
  const writeManifests = async (dir: string, manifests: { file: string; object: unknown }[]) => {
    const { manifestYaml } = await import("../../deploy/manifests.js");
    const out = resolve(dir);
    mkdirSync(out, { recursive: true });
    // Made again by the same command: written whole (rename), without waiting for the disk (issue 19).
    for (const m of manifests)
      writeFileAtomic(
        join(out, m.file),
        m.file.endsWith(".json") ? JSON.stringify(m.object, null, 2) + "\n" : manifestYaml(m.object),
        { durable: false },
      );
    return out;
  };

  const deploy = program
    .command("deploy")
    .description("progressive delivery: risk-driven deploy plans, approval gate, deployment records, rollback");
  deploy
    .command("plan")
    .description(
      "decide the strategy from risk and impact and write validated manifests (Argo Rollouts, Flagger or Kubernetes)",
    )
    .requiredOption("--image <image>", "container image to deploy, e.g. registry.example/api:1.4.2")
    .option("--service <name>", "service (workload) name (default: deploy.service)")
    .option(
      "--strategy <strategy>",
      "auto | standard | canary | blue-green (explicit may be stronger than decided, never weaker)",
      "auto",
    )
    .option("--target <target>", "argo-rollouts | flagger | kubernetes (default: deploy.target)")
    .option("--rev <rev>", "the change deployed", "HEAD")
    .option("--env <environment>", "local | staging | production", "production")
    .option("--run-id <id>", "run ID for the approval gate and freeze override (default: generated)")
    .option("--key <file>", "the requester's key (SSH or signed-note): signs the plan when it needs approvals")
    .option("--out <dir>", "where to write the manifests", "deploy")
    .option("--ledger <location>", "ledger directory or postgres:// URL")
    .option("--format <format>", "text | json", "text")
    .action(
      async (
        o: LedgerOpt & {
          image: string;
          service?: string;
          strategy: string;
          target?: string;
          rev: string;
          env: string;
          runId?: string;
          key?: string;
          out: string;
          format: string;
        },
      ) => {
        const format = parseFormat(o.format, ["text", "json"] as const, "text");
        const { TARGETS } = await import("../../deploy/manifests.js");
        if (o.target !== undefined && !(TARGETS as readonly string[]).includes(o.target))
          throw new UserError(`unknown --target "${o.target}" (valid: ${TARGETS.join(", ")})`);
        const { checkEnvironment } = await import("../../guard/plan.js");
        const environment = checkEnvironment(o.env);
        const config = await configOf();
        const { planDeploy } = await import("../../deploy/plan.js");
        let plan;
        try {
          plan = await planDeploy({
            cwd: process.cwd(),
            config,
            image: o.image,
            service: o.service,
            strategy: o.strategy as "auto",
            target: o.target as "flagger" | undefined,
            rev: o.rev,
            environment,
            runId: o.runId,
            key: o.key,
            openLedger: () => ledgerOf(o, config),
          });
        } catch (err) {
          const run = (err as { run?: { runId: string; digest: string } }).run;
          if (err instanceof GateFailure && format === "json")
            writeJson({ refused: err.message, ...(run ? { runId: run.runId, digest: run.digest } : {}) });
          throw err;
        }
        const dir = await writeManifests(o.out, plan.manifests);
        for (const w of plan.risk.warnings ?? []) say(color.yellow(`warning: ${w}`));
        say(
          `${plan.service} ${plan.image} (commit ${plan.commit.slice(0, 12)}): ${color.bold(plan.decision.strategy)} on ${plan.target}`,
        );
        say(
          `  likelihood ${plan.risk.level} ${plan.risk.score}/100; impact ${plan.impact.tier === null ? "none declared" : `tier ${plan.impact.tier}`}${plan.impact.matched.length ? ` (${plan.impact.matched.map((m) => `${m.pattern}: ${m.files} file(s)`).join(", ")})` : ""}${plan.impact.sensitive.length ? `; sensitive: ${plan.impact.sensitive.join(", ")}` : ""}`,
        );
        for (const r of plan.decision.reasons) say(`  ${r}`);
        if (plan.run) {
          say(
            `  approval gate: run ${plan.run.runId}, ${plan.run.gate.required} approval(s) over digest ${plan.run.digest.slice(0, 16)}…: ${plan.run.gate.status}`,
          );
          if (plan.run.gate.status !== "approved") say(`  approve with: gitops-health approve ${plan.run.runId}`);
        }
        for (const f of plan.freezes)
          say(
            color.yellow(
              `  freeze "${f.name}" until ${f.until}: overridden by the approvals of run ${plan.run?.runId}`,
            ),
          );
        say(`wrote ${plan.manifests.length} manifest(s) to ${dir}`);
        if (format === "json") writeJson({ ...plan, manifests: plan.manifests.map((m) => join(dir, m.file)) });
      },
    );

  deploy
    .command("gate")
    .description("the approval gate: pending, approved or invalidated (exit 0 only when approved)")
    .requiredOption("--run <id>", "run ID")
    .option(
      "--digest <sha256>",
      "the plan digest the rollout was built for (default: the recorded plan, checked against the current HEAD)",
    )
    .option("--ledger <location>", "ledger directory or postgres:// URL")
    .option("--allowed-signers <file>", "SSH allowed-signers file (default: config allowedSignersFile)")
    .option("--format <format>", "text | json", "text")
    .action(async (o: LedgerOpt & { run: string; digest?: string; allowedSigners?: string; format: string }) => {
      const format = parseFormat(o.format, ["text", "json"] as const, "text");
      const { checkRunId } = await import("../../guard/plan.js");
      checkRunId(o.run);
      if (o.digest !== undefined && !/^[0-9a-f]{64}$/.test(o.digest))
        throw new UserError("--digest: expected 64 lowercase hex characters");
      const config = await configOf();
      const { repoRoot, git } = await import("../../git/exec.js");
      const root = repoRoot(process.cwd());
      const head = root
        ? (await git(["rev-parse", "--verify", "--quiet", "HEAD"], { cwd: root }).catch(() => "")).trim() || null
        : null;
      const { verifyContext } = await import("../../guard/index.js");
      const { approvalGateStatus } = await import("../../deploy/gate.js");
      const ledger = await ledgerOf(o, config, true);
      try {
        const a = await approvalGateStatus(ledger, o.run, o.digest, {
          config,
          ctx: verifyContext(config, process.cwd(), o.allowedSigners),
          head,
        });
        if (format === "json") writeJson(a);
        else {
          writeOut(a.status);
          say(`${a.runId}: ${a.status}: ${a.reason}`);
          for (const r of a.rejected) say(color.yellow(`approval by ${r.approver} does not count: ${r.reason}`));
        }
        process.exitCode = a.status === "approved" ? 0 : 1;
      } finally {
        await ledger.close();
      }
    });

  deploy
    .command("record")
    .description("record a deployment event in the ledger (signed when a producer key is given)")
    .requiredOption("--service <name>")
    .requiredOption("--env <environment>")
    .requiredOption("--version <version>")
    .requiredOption("--status <status>", "started | succeeded | failed | rolled-back")
    .option("--commit <sha>", "the commit deployed (resolved to its full SHA)")
    .option("--image <image>", "the image deployed")
    .option("--key <file>", "producer key (default: GITOPS_HEALTH_EVIDENCE_KEY, then evidence.key)")
    .option("--ledger <location>", "ledger directory or postgres:// URL")
    .action(
      async (
        o: LedgerOpt & {
          service: string;
          env: string;
          version: string;
          status: string;
          commit?: string;
          image?: string;
          key?: string;
        },
      ) => {
        const { appendRecord, checkLabel, checkVersion, DEPLOY_STATUSES } = await import("../../deploy/events.js");
        if (!(DEPLOY_STATUSES as readonly string[]).includes(o.status))
          throw new UserError(`unknown --status "${o.status}" (valid: ${DEPLOY_STATUSES.join(", ")})`);
        const record = {
          service: checkLabel(o.service, "service"),
          env: checkLabel(o.env, "environment"),
          version: checkVersion(o.version),
          status: o.status as "started",
          commit: await resolveCommit(o.commit),
          image: o.image === undefined ? null : checkVersion(o.image),
          occurredAt: new Date().toISOString(),
        };
        const config = await configOf();
        const sign = await signer(o.key, config);
        const ledger = await ledgerOf(o, config);
        try {
          const r = await appendRecord(ledger, "deploy", record, sign);
          say(
            `recorded ${r.type} ${record.service}@${record.env} ${record.version} (seq ${r.seq}${r.signed ? ", signed" : ", unsigned"})`,
          );
        } finally {
          await ledger.close();
        }
      },
    );

  deploy
    .command("rollback")
    .description("emergency rollback to a version that succeeded before: write the plan and manifests, and record it")
    .requiredOption("--to <version>", "the version to go back to (must have a recorded succeeded deployment)")
    .requiredOption("--service <name>")
    .requiredOption("--env <environment>")
    .option("--image <image>", "image of that version (default: the one recorded with it)")
    .option("--target <target>", "argo-rollouts | flagger | kubernetes (default: deploy.target)")
    .option("--out <dir>", "where to write the rollback plan and manifests", "deploy")
    .option("--key <file>", "producer key (default: GITOPS_HEALTH_EVIDENCE_KEY, then evidence.key)")
    .option("--ledger <location>", "ledger directory or postgres:// URL")
    .option("--format <format>", "text | json", "text")
    .action(
      async (
        o: LedgerOpt & {
          to: string;
          service: string;
          env: string;
          image?: string;
          target?: string;
          out: string;
          key?: string;
          format: string;
        },
      ) => {
        const format = parseFormat(o.format, ["text", "json"] as const, "text");
        const { appendRecord, checkLabel, checkVersion, readDeployEvents } = await import("../../deploy/events.js");
        const { buildManifests, manifestInputFrom, prepareManifests, TARGETS } =
          await import("../../deploy/manifests.js");
        const { producerTrust } = await import("../../evidence/checks.js");
        const service = checkLabel(o.service, "service");
        const env = checkLabel(o.env, "environment");
        const to = checkVersion(o.to);
        const config = await configOf();
        const target = (o.target ?? config.deploy.target) as "argo-rollouts" | "flagger" | "kubernetes";
        if (!(TARGETS as readonly string[]).includes(target))
          throw new UserError(`unknown --target "${target}" (valid: ${TARGETS.join(", ")})`);
        const sign = await signer(o.key, config);
        const ledger = await ledgerOf(o, config);
        try {
          const events = await readDeployEvents(ledger, producerTrust(config, process.cwd()), { service, env });
          const deploys = events.flatMap((e) => ("version" in e.record ? [{ ...e, record: e.record }] : []));
          const stable = [...deploys].reverse().find((e) => e.type === "deploy.succeeded" && e.record.version === to);
          if (!stable)
            throw new GateFailure(
              `no succeeded deployment of ${service}@${env} version ${to} in the ledger: not a known stable version`,
            );
          const image = o.image ?? ("image" in stable.record && stable.record.image ? stable.record.image : undefined);
          if (!image) throw new UserError(`no image recorded for ${to}: give --image`);
          const from = deploys.length ? deploys[deploys.length - 1]!.record.version : null;
          const d = config.deploy;
          await prepareManifests(d.trafficRouting);
          const manifests = buildManifests({
            ...manifestInputFrom(d, {
              service,
              image,
              strategy: target === "kubernetes" ? "standard" : "canary",
              target,
            }),
            rollback: true,
          });
          const commands =
            target === "argo-rollouts"
              ? [`kubectl argo rollouts abort ${service} -n ${d.namespace}`, `kubectl apply -f rollout-${service}.yaml`]
              : target === "flagger"
                ? [`kubectl apply -f canary-${service}.yaml -f deployment-${service}.yaml`]
                : [`kubectl apply -f deployment-${service}.yaml -f service-${service}.yaml`];
          const plan = {
            service,
            env,
            from,
            to,
            image,
            target,
            action: target === "argo-rollouts" ? ("abort-and-redeploy" as const) : ("redeploy" as const),
            commands,
            stableRecordedAt: stable.time,
            stableProducer: stable.producer,
          };
          const dir = await writeManifests(o.out, [...manifests, { file: "rollback.json", object: plan }]);
          const r = await appendRecord(
            ledger,
            "rollback",
            { service, env, from, to, image, action: plan.action, occurredAt: new Date().toISOString() },
            sign,
          );
          say(
            `rollback of ${service}@${env} ${from ?? "?"} → ${to} (${image}); wrote ${manifests.length + 1} file(s) to ${dir}; recorded ${r.type} (seq ${r.seq})`,
          );
          for (const c of commands) say(`  ${c}`);
          if (format === "json") writeJson(plan);
        } finally {
          await ledger.close();
        }
      },
    );

  deploy
    .command("events")
    .description("deployment records from the ledger, with who signed each")
    .option("--service <name>")
    .option("--env <environment>")
    .option("--ledger <location>", "ledger directory or postgres:// URL")
    .option("--format <format>", "text | json", "text")
    .action(async (o: LedgerOpt & { service?: string; env?: string; format: string }) => {
      const format = parseFormat(o.format, ["text", "json"] as const, "text");
      const { readDeployEvents } = await import("../../deploy/events.js");
      const { producerTrust } = await import("../../evidence/checks.js");
      const config = await configOf();
      const ledger = await ledgerOf(o, config, true);
      try {
        const events = await readDeployEvents(ledger, producerTrust(config, process.cwd()), {
          service: o.service,
          env: o.env,
        });
        if (format === "json") writeJson(events);
        else
          for (const e of events)
            writeOut(
              `${e.time}\t${e.type}\t${e.record.service}@${e.record.env}\t${"version" in e.record ? e.record.version : e.record.to}\t${e.producer ?? `untrusted (${e.untrusted})`}`,
            );
      } finally {
        await ledger.close();
      }
    });

  const incident = program
    .command("incident")
    .description("incidents in the ledger (for change failure rate and recovery time)");
  const incidentAction =
    (status: "open" | "resolved") =>
    async (o: LedgerOpt & { id: string; service?: string; env?: string; severity?: string; key?: string }) => {
      const { appendRecord, checkLabel } = await import("../../deploy/events.js");
      if (o.severity !== undefined && !["sev1", "sev2", "sev3", "sev4"].includes(o.severity))
        throw new UserError(`unknown --severity "${o.severity}" (valid: sev1, sev2, sev3, sev4)`);
      const record = {
        id: checkLabel(o.id, "incident ID"),
        service: o.service === undefined ? null : checkLabel(o.service, "service"),
        env: o.env === undefined ? null : checkLabel(o.env, "environment"),
        status,
        severity: (o.severity ?? null) as "sev1" | null,
        occurredAt: new Date().toISOString(),
      };
      const config = await configOf();
      const sign = await signer(o.key, config);
      const ledger = await ledgerOf(o, config);
      try {
        const r = await appendRecord(ledger, "incident", record, sign);
        say(`recorded ${r.type} ${record.id} (seq ${r.seq}${r.signed ? ", signed" : ", unsigned"})`);
      } finally {
        await ledger.close();
      }
    };
  for (const [name, status] of [
    ["open", "open"],
    ["resolve", "resolved"],
  ] as const) {
    incident
      .command(name)
      .requiredOption("--id <id>", "incident ID")
      .option("--service <name>")
      .option("--env <environment>")
      .option("--severity <sev>", "sev1 | sev2 | sev3 | sev4")
      .option("--key <file>", "producer key (default: GITOPS_HEALTH_EVIDENCE_KEY, then evidence.key)")
      .option("--ledger <location>", "ledger directory or postgres:// URL")
      .action(incidentAction(status));
  }
  incident
    .command("list")
    .option("--ledger <location>", "ledger directory or postgres:// URL")
    .option("--format <format>", "text | json", "text")
    .action(async (o: LedgerOpt & { format: string }) => {
      const format = parseFormat(o.format, ["text", "json"] as const, "text");
      const { readIncidents } = await import("../../deploy/events.js");
      const { producerTrust } = await import("../../evidence/checks.js");
      const config = await configOf();
      const ledger = await ledgerOf(o, config, true);
      try {
        const all = await readIncidents(ledger, producerTrust(config, process.cwd()));
        if (format === "json") writeJson(all);
        else
          for (const e of all)
            writeOut(
              `${e.time}\t${e.type}\t${e.record.id}\t${e.record.service ?? "-"}@${e.record.env ?? "-"}\t${e.producer ?? `untrusted (${e.untrusted})`}`,
            );
      } finally {
        await ledger.close();
      }
    });
}
