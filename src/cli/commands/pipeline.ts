import { readEnv } from "../../config/env.js";
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { loadConfigFast } from "../../config/fast.js";
import { UserError } from "../../core/errors.js";
import { requireRepoRoot } from "../../git/exec.js";
import { color, parseFormat, say, writeOut } from "../output.js";

interface RunOpts {
  env: string;
  approve?: boolean;
  from?: string;
  runId?: string;
  image?: string;
  release?: string;
  service?: string;
  key?: string;
  requesterKey?: string;
  ledgerKey?: string;
  ledger?: string;
  format: string;
}

const MARK: Record<string, string> = { passed: "✓", failed: "✗", pending: "…", skipped: "-", "would-run": "○" };
const SPIN = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** `pipeline run`: the whole lifecycle as one command (src/pipeline), dry run unless --approve. */
export function register(program: Command): void {
  const pipeline = program
    .command("pipeline")
    .description(
      "the change lifecycle as one command: checks, compliance, risk, plan, approvals, deploy, verify, record, evidence",
    );
  pipeline
    .command("run")
    .description(
      "run the stages in order, each recorded in the ledger; a dry run (nothing runs, nothing is written) unless --approve; resumable by --run-id",
    )
    .option("--env <environment>", "local | staging | production", "staging")
    .option("--approve", "execute (default: a dry run that shows exactly what would run)")
    .option(
      "--from <stage>",
      "resume a run from this stage (with --run-id): checks, compliance, risk, plan, approvals, deploy, verify, record, bundle",
    )
    .option("--run-id <id>", "the run to resume, or the ID for a new run (default: generated)")
    .option("--image <image>", "image to deploy (default pipeline.image; {commit}, {short}, {version} are replaced)")
    .option("--release <version>", "version recorded for the deployment (default: HEAD's 12-character hash)")
    .option("--service <name>", "service (default deploy.service)")
    .option(
      "--key <file>",
      "producer key signing check results, deploy records and stages (default GITOPS_HEALTH_EVIDENCE_KEY, evidence.key)",
    )
    .option(
      "--requester-key <file>",
      "requester key signing a deploy plan that needs approvals (SSH or signed-note key the config trusts)",
    )
    .option(
      "--ledger-key <file>",
      "ledger signing key for the evidence bundle's checkpoint (default ledger.keyFile, GITOPS_HEALTH_LEDGER_KEY)",
    )
    .option("--ledger <location>", "ledger directory or postgres:// URL")
    .option("--format <format>", "text | json (one event per line on stdout)", "text")
    .action(async (o: RunOpts) => {
      const format = parseFormat(o.format, ["text", "json"] as const, "text");
      const root = requireRepoRoot(process.cwd(), "pipeline run");
      const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
      const { checkEnvironment } = await import("../../guard/plan.js");
      const { checkStage } = await import("../../pipeline/stages.js");
      const { runPipeline } = await import("../../pipeline/run.js");
      const { producerKeyFile } = await import("../../evidence/checks.js");
      const environment = checkEnvironment(o.env);
      const from = o.from === undefined ? undefined : checkStage(o.from);
      const keyFile = producerKeyFile(o.key ?? readEnv().evidenceKey, config, process.cwd());
      if (keyFile && o.approve && !existsSync(keyFile)) throw new UserError(`cannot read producer key ${keyFile}`);
      const { signerKeyFile, loadSigner } = await import("../../audit/keys.js");
      const ledgerKey = signerKeyFile(root, o.ledgerKey ?? config.ledger.keyFile).file;
      if (o.ledgerKey && !existsSync(o.ledgerKey)) throw new UserError(`cannot read ledger key ${o.ledgerKey}`);
      const bundleSigner = existsSync(ledgerKey) ? loadSigner(ledgerKey) : undefined;
      const { openLedger } = await import("../../audit/index.js");
      const location = o.ledger ?? process.env.GITOPS_HEALTH_LEDGER ?? config.ledger.location;

      const tty = format === "text" && Boolean(process.stderr.isTTY) && !process.env.CI;
      let spinner: { label: string; t0: number; timer: NodeJS.Timeout; frame: number } | undefined;
      const clearSpinner = () => {
        if (spinner) process.stderr.write("\r\x1b[K");
      };
      const stopSpinner = () => {
        if (!spinner) return;
        clearInterval(spinner.timer);
        clearSpinner();
        spinner = undefined;
      };
      const drawSpinner = () => {
        if (!spinner) return;
        spinner.frame = (spinner.frame + 1) % SPIN.length;
        process.stderr.write(
          `\r\x1b[K${SPIN[spinner.frame]} ${spinner.label} ${color.dim(secs(Date.now() - spinner.t0))}`,
        );
      };
      const result = await runPipeline({
        cwd: root,
        config,
        cli: process.argv[1]!,
        environment,
        approve: Boolean(o.approve),
        runId: o.runId,
        from,
        image: o.image,
        version: o.release,
        service: o.service,
        producerKey: keyFile,
        requesterKey: o.requesterKey,
        bundleSigner,
        env: process.env,
        openLedger: (readOnly) => openLedger(location, { cwd: root, readOnly }),
        sink: (d) => {
          clearSpinner();
          process.stderr.write(d);
        },
        onEvent: (e) => {
          if (format === "json") {
            writeOut(JSON.stringify(e));
            return;
          }
          if (e.event === "run") {
            say(
              color.bold(
                `pipeline ${e.runId}${e.dryRun ? " (dry run)" : ""}: ${e.service} ${e.version} → ${e.environment} (${e.image}), HEAD ${e.head.slice(0, 12)}${e.resumedFrom ? `, resuming at ${e.resumedFrom}` : ""}`,
              ),
            );
          } else if (e.event === "stage-start") {
            if (tty) {
              stopSpinner();
              spinner = {
                label: `${e.stage}${e.command ? ` ${color.dim(e.command)}` : ""}`,
                t0: Date.now(),
                frame: 0,
                timer: setInterval(drawSpinner, 100),
              };
              drawSpinner();
            } else say(color.dim(`[${e.stage}] running${e.command ? ` ${e.command}` : ""}`));
          } else if (e.event === "stage") {
            stopSpinner();
            const paint =
              e.status === "passed"
                ? color.green
                : e.status === "failed"
                  ? color.red
                  : e.status === "pending"
                    ? color.yellow
                    : color.dim;
            say(
              `${paint(`${MARK[e.status] ?? "?"} ${e.stage.padEnd(10)} ${e.status}`)}${e.durationMs ? ` ${secs(e.durationMs)}` : ""}${e.resumed ? " (recomputed)" : ""}  ${e.detail}`,
            );
          } else {
            stopSpinner();
            say(e.exitCode === 0 ? color.green(e.message) : color.red(e.message));
          }
        },
      }).finally(stopSpinner);
      process.exitCode = result.exitCode;
    });
}
