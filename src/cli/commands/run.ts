import type { Command } from "commander";
import { loadConfigFast } from "../../config/fast.js";
import { UserError } from "../../core/errors.js";
import { color, parseFormat, say, writeJson, writeOut } from "../output.js";
import { serverClient, withServer } from "../server-client.js";
import type { Evaluation } from "../../guard/index.js";

/** A command as one line a reader can paste: words with shell metacharacters quoted. */
const shellWords = (words: string[]) =>
  words.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");

interface Common {
  ledger?: string;
  allowedSigners?: string;
  server?: string;
}

/** `run`, `approve`, `runs`: guarded operations with signed approvals; state lives in the ledger. */
export function register(program: Command): void {
  /** Config, the guard domain and the keys trusted here (for --server: what signs before submitting). */
  const trust = async (opts: Common) => {
    const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
    const guard = await import("../../guard/index.js");
    return { config, guard, ctx: guard.verifyContext(config, process.cwd(), opts.allowedSigners) };
  };
  const open = async (opts: Common) => {
    const { openLedger } = await import("../../audit/index.js");
    const t = await trust(opts);
    const ledger = await openLedger(opts.ledger ?? process.env.GITOPS_HEALTH_LEDGER ?? t.config.ledger.location);
    return { ledger, ...t };
  };

  withServer(program.command("run"))
    .description(
      "guarded operation: dry run by default; --approve executes once the classification's approvals and checks are met",
    )
    .requiredOption("--classification <c>", "personal | business | clinical")
    .option("--env <environment>", "local | staging | production", "local")
    .option("--run-id <id>", "run ID (default: generated)")
    .option(
      "--env-var <name>",
      "pass this environment variable to the command (its value is part of the plan); repeatable",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--approve", "execute if approved")
    .option(
      "--key <file>",
      "the requester's key (SSH private key or signed-note key from 'audit keygen'): signs the plan and the run's events; required when the plan needs approvals",
    )
    .option("--ledger <location>", "ledger directory or postgres:// URL")
    .option("--allowed-signers <file>", "SSH allowed-signers file (default: config allowedSignersFile)")
    .option("--format <format>", "text | json", "text")
    .argument("[command...]", "the command, after --")
    .action(
      async (
        command: string[],
        opts: Common & {
          classification: string;
          env: string;
          runId?: string;
          envVar: string[];
          approve?: boolean;
          format: string;
          key?: string;
        },
      ) => {
        const format = parseFormat(opts.format, ["text", "json"] as const, "text");
        const { buildPlan, recordPlan, executeRun, planDigest, planMissing, requireKey } =
          await import("../../guard/index.js");
        const plan = buildPlan({
          command,
          classification: opts.classification,
          environment: opts.env,
          runId: opts.runId,
          envVars: opts.envVar,
        });
        const shown = shellWords([plan.command, ...plan.args]);
        const dryRun = (evaluation: Evaluation, missing: string[], where = "") => {
          if (format === "json")
            writeJson({ runId: plan.runId, dryRun: true, digest: planDigest(plan), plan, evaluation, missing });
          else {
            say(`Would run ${shown} (DRY RUN${where})`);
            say(`run ID:  ${plan.runId}`);
            say(`digest:  ${evaluation.digest}`);
            say(
              `policy:  ${plan.classification} in ${plan.environment}: ${evaluation.requiredApprovals} approval(s), checks ${evaluation.requiredChecks.join(", ") || "none"}`,
            );
            for (const r of evaluation.rejected)
              say(color.yellow(`approval by ${r.approver} does not count: ${r.reason}`));
            say(
              missing.length
                ? `missing: ${missing.join("; ")}`
                : color.green("ready: run again with --approve to execute"),
            );
            writeOut(plan.runId);
          }
        };
        const remote = await serverClient(opts);
        if (remote) {
          // The plan is built (and, with --key, signed) here; the service verifies the signature
          // against its own trust list, records the plan and evaluates it under its own policy.
          if (opts.approve)
            throw new UserError(
              "--approve executes here against a local ledger; with --server plan remotely (dry run), then execute with --approve where the ledger is",
            );
          const { guard, ctx } = await trust(opts);
          const { signApproval } = await import("../../core/signing.js");
          const requesterSig = opts.key
            ? signApproval(guard.requestMessage(plan.runId, planDigest(plan)), opts.key, ctx)
            : undefined;
          const r = await remote.createRun({ plan, ...(requesterSig ? { requesterSig } : {}) });
          plan.requester = r.plan.requester;
          dryRun(r.evaluation, r.missing, ` on ${remote.base.origin}`);
          return;
        }
        const { ledger, config, ctx } = await open(opts);
        try {
          requireKey(plan, config, opts.key);
          const evaluation = await recordPlan(ledger, plan, config, ctx, opts.key);
          const missing = planMissing(plan, evaluation);
          if (!opts.approve) {
            dryRun(evaluation, missing);
            return;
          }
          if (!evaluation.ok) {
            say(color.red(`refused to run ${plan.runId}: ${missing.join("; ")}`));
            for (const r of evaluation.rejected)
              say(color.yellow(`approval by ${r.approver} does not count: ${r.reason}`));
            process.exitCode = 1;
            return;
          }
          say(`running ${plan.runId}: ${shown}`);
          const r = await executeRun(ledger, plan, config, ctx, undefined, opts.key);
          if (!r.outcome) {
            say(color.red(`refused to run ${plan.runId}: this run ID has already executed`));
            process.exitCode = 1;
            return;
          }
          say(
            `${plan.runId} ${r.outcome.exitCode === 0 ? color.green("COMPLETED") : color.red("FAILED")} exit ${r.outcome.exitCode} in ${r.outcome.durationMs} ms (output sha256 ${r.outcome.outputSha256.slice(0, 16)}…)`,
          );
          if (format === "json") writeJson({ runId: plan.runId, ...r.outcome });
          process.exitCode = r.outcome.exitCode === 0 ? 0 : 1;
        } finally {
          await ledger.close();
        }
      },
    );

  withServer(program.command("approve"))
    .description("sign the plan of a run; your identity comes from the key")
    .argument("<runId>", "the run to approve")
    .option("--key <file>", "SSH private key or a signed-note key from 'audit keygen' (default ~/.ssh/id_ed25519)")
    .option("--ttl <duration>", "validity, e.g. 30m, 24h, 7d", "24h")
    .option("--ledger <location>", "ledger directory or postgres:// URL")
    .option("--allowed-signers <file>", "SSH allowed-signers file (default: config allowedSignersFile)")
    .option(
      "--print-only",
      "sign without recording: print the signed approval as JSON on stdout (POST it to the service's /v1/runs/{id}/approvals)",
    )
    .action(async (runId: string, opts: Common & { key?: string; ttl: string; printOnly?: boolean }) => {
      const key = opts.key ?? `${process.env.HOME ?? ""}/.ssh/id_ed25519`;
      const remote = await serverClient(opts);
      if (remote) {
        if (opts.printOnly)
          throw new UserError(
            "--print-only signs from a local ledger; with --server the approval is signed here and submitted",
          );
        // Signed here with the local key over the digest of the run's current plan on the service;
        // the service verifies it against its own trust list and records the identity the key proves.
        const { config, guard, ctx } = await trust(opts);
        const { signApproval } = await import("../../core/signing.js");
        const expiresAt = guard.approvalExpiry(opts.ttl, config.approvals?.maxTtl);
        const run = await remote.run(runId);
        const sig = signApproval(guard.approvalMessage(runId, run.digest, expiresAt), key, ctx);
        const r = await remote.submitApproval(runId, { ...sig, digest: run.digest, expiresAt });
        say(
          `approved ${runId} on ${remote.base.origin} as ${r.approver}: ${shellWords([run.plan.command, ...run.plan.args])} (${run.plan.classification}, ${run.plan.environment}, requested by ${run.requester ?? run.plan.requester}), valid until ${r.expiresAt} (digest ${r.digest.slice(0, 16)}…, ledger entry ${r.seq})`,
        );
        return;
      }
      const { ledger, guard, ctx, config } = await open(opts);
      try {
        if (opts.printOnly) {
          const s = await guard.signRunApproval(
            ledger,
            runId,
            key,
            opts.ttl,
            ctx,
            new Date(),
            config.approvals?.maxTtl ?? guard.DEFAULT_MAX_TTL,
          );
          say(
            `signed an approval of ${runId} as ${s.approval.approver} (not recorded), valid until ${s.approval.expiresAt} (digest ${s.approval.digest.slice(0, 16)}…)`,
          );
          writeJson({ runId, ...s.approval });
          return;
        }
        const r = await guard.approveRun(
          ledger,
          runId,
          key,
          opts.ttl,
          ctx,
          new Date(),
          config.approvals?.maxTtl ?? guard.DEFAULT_MAX_TTL,
        );
        say(
          `approved ${runId} as ${r.approver}: ${shellWords([r.plan.command, ...r.plan.args])} (${r.plan.classification}, ${r.plan.environment}, requested by ${r.plan.requester}), valid until ${r.expiresAt} (digest ${r.digest.slice(0, 16)}…)`,
        );
      } finally {
        await ledger.close();
      }
    });

  const runs = program.command("runs").description("guarded runs recorded in the ledger");
  withServer(runs.command("list"))
    .description("runs and their state as the signed evidence supports it")
    .option("--ledger <location>")
    .option("--allowed-signers <file>", "SSH allowed-signers file (default: config allowedSignersFile)")
    .option("--format <format>", "text | json", "text")
    .action(async (opts: Common & { format: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const remote = await serverClient(opts);
      if (remote) {
        // The service verifies against its own trust list; the same shape as the local JSON.
        const all = await remote.runs();
        if (format === "json") writeJson(all);
        else
          for (const r of all)
            writeOut(
              `${r.runId}\t${r.state}\t${r.classification ?? "-"}\t${r.environment ?? "-"}\t${r.approvals.join(",") || "-"}`,
            );
        return;
      }
      const { ledger, guard, config, ctx } = await open(opts);
      try {
        const all = await Promise.all(
          (await guard.listRuns(ledger)).map((r) => guard.verifiedRun(ledger, r.runId, config, ctx)),
        );
        if (format === "json")
          writeJson(
            all.map(({ run: r, state, evaluation: ev, notes }) => ({
              runId: r.runId,
              state,
              classification: r.plan?.classification,
              environment: r.plan?.environment,
              requester: ev?.requester ?? null,
              approvals: ev?.validApprovers ?? [],
              notes,
            })),
          );
        else
          for (const { run: r, state } of all)
            writeOut(
              `${r.runId}\t${state}\t${r.plan?.classification ?? "-"}\t${r.plan?.environment ?? "-"}\t${r.plan ? [r.plan.command, ...r.plan.args].join(" ") : ""}`,
            );
      } finally {
        await ledger.close();
      }
    });
  withServer(runs.command("show"))
    .description("one run as the signed evidence supports it: requester, approvals that count, outcome")
    .argument("<runId>")
    .option("--ledger <location>")
    .option("--allowed-signers <file>", "SSH allowed-signers file (default: config allowedSignersFile)")
    .option("--format <format>", "text | json", "text")
    .action(async (runId: string, opts: Common & { format: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const remote = await serverClient(opts);
      if (remote) {
        const r = await remote.run(runId);
        if (format === "json") writeJson(r);
        else {
          writeOut(`${runId}: ${r.state}`);
          writeOut(
            `  command: ${[r.plan.command, ...r.plan.args].join(" ")} (${r.plan.classification}, ${r.plan.environment}, requested by ${r.requester ?? `${r.plan.requester} (unverified: no trusted key signed the plan)`})`,
          );
          writeOut(
            `  approvals: ${r.approvals.valid.join(", ") || "none"} of ${r.approvals.required} required${r.approvals.rejected.length ? `; not counted: ${r.approvals.rejected.map((x) => `${x.approver} (${x.reason})`).join(", ")}` : ""}`,
          );
          writeOut(
            `  checks: ${r.checks.required.map((c) => `${c} ${r.checks.missing.includes(c) ? "missing" : "passed"}`).join(", ") || "none required"}`,
          );
          if (r.outcome)
            writeOut(`  outcome: ${JSON.stringify(r.outcome)}${r.executedBy ? ` (signed by ${r.executedBy})` : ""}`);
          for (const n of r.notes) writeOut(`  note: ${n}`);
        }
        return;
      }
      const { ledger, guard, config, ctx } = await open(opts);
      try {
        const v = await guard.verifiedRun(ledger, runId, config, ctx);
        const s = v.run;
        const ev = v.evaluation;
        if (!s.plan || !ev) throw new UserError(`no run ${runId} in the ledger`);
        const requester = ev.requester ?? `${s.plan.requester} (unverified: no trusted key signed the plan)`;
        const out = {
          runId,
          state: v.state,
          plan: s.plan,
          requester: ev.requester,
          executedBy: v.executedBy ?? null,
          approvals: { valid: ev.validApprovers, rejected: ev.rejected, required: ev.requiredApprovals },
          checks: { required: ev.requiredChecks, missing: ev.missingChecks },
          outcome: v.outcome ?? null,
          notes: v.notes,
        };
        if (format === "json") writeJson(out);
        else {
          writeOut(`${runId}: ${v.state}`);
          writeOut(
            `  command: ${[s.plan.command, ...s.plan.args].join(" ")} (${s.plan.classification}, ${s.plan.environment}, requested by ${requester})`,
          );
          if (ev.unverifiable)
            writeOut(`  approvals: cannot verify approvals without allowed signers (${ev.requiredApprovals} required)`);
          else
            writeOut(
              `  approvals: ${ev.validApprovers.join(", ") || "none"} of ${ev.requiredApprovals} required${ev.rejected.length ? `; not counted: ${ev.rejected.map((r) => `${r.approver} (${r.reason})`).join(", ")}` : ""}`,
            );
          writeOut(
            `  checks: ${ev.requiredChecks.map((c) => `${c} ${ev.missingChecks.includes(c) ? "missing" : "passed"}`).join(", ") || "none required"}`,
          );
          if (v.outcome)
            writeOut(`  outcome: ${JSON.stringify(v.outcome)}${v.executedBy ? ` (signed by ${v.executedBy})` : ""}`);
          for (const n of v.notes) writeOut(`  note: ${n}`);
        }
      } finally {
        await ledger.close();
      }
    });
}
