import type { Command } from "commander";
import { accessSync, constants } from "node:fs";
import { loadConfigFast } from "../../config/fast.js";
import { UserError } from "../../core/errors.js";
import { requireRepoRoot, resolveRev } from "../../git/exec.js";
import { color, parseFormat, say, writeJson } from "../output.js";
import { readEnv } from "../../config/env.js";

/** `check run|status`: checks that record signed evidence of what actually ran. */
export function register(program: Command): void {
  const check = program
    .command("check")
    .description("run checks and record their results as signed evidence in the ledger");

  check
    .command("run")
    .description(
      "run a check (the command after --, checks.NAME from the config, or a built-in), stream its output to stderr, record the signed result; exits with the command's status",
    )
    .argument("<name>", "check name, e.g. lint, test, security, dlp, compliance")
    .argument("[command...]", "the command, after --")
    .option(
      "--key <file>",
      "producer signing key: signed-note key from audit keygen or an SSH private key (default: GITOPS_HEALTH_EVIDENCE_KEY, config evidence.key)",
    )
    .option(
      "--range <A..B>",
      "the change the built-in security/dlp/compliance checks look at (default: HEAD against its parent)",
    )
    .option(
      "--ledger <location>",
      "ledger directory or postgres:// URL (default: GITOPS_HEALTH_LEDGER, config ledger.location)",
    )
    .option("--format <format>", "text | json (the recorded result on stdout)", "text")
    .action(
      async (name: string, argv: string[], o: { key?: string; range?: string; ledger?: string; format: string }) => {
        const format = parseFormat(o.format, ["text", "json"] as const, "text");
        const root = requireRepoRoot(process.cwd(), "check run");
        const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
        const { checkName, producerKeyFile } = await import("../../evidence/checks.js");
        const { resolveCheckCommand, runCheck } = await import("../../evidence/run.js");
        checkName(name);
        const key = producerKeyFile(o.key ?? readEnv().evidenceKey, config, process.cwd());
        if (!key)
          throw new UserError(
            "check run signs its result with a producer key: give --key FILE, set GITOPS_HEALTH_EVIDENCE_KEY or evidence.key (audit keygen --key-file FILE makes one)",
          );
        try {
          accessSync(key, constants.R_OK);
        } catch {
          throw new UserError(`cannot read producer key ${key}`);
        }
        const command = await resolveCheckCommand({
          name,
          argv,
          config,
          cli: process.argv[1]!,
          cwd: root,
          range: o.range,
        });
        const { openLedger } = await import("../../audit/index.js");
        const ledger = await openLedger(o.ledger ?? process.env.GITOPS_HEALTH_LEDGER ?? config.ledger.location, {
          cwd: root,
        });
        try {
          say(color.dim(`check ${name}: ${command.display} (${command.source})`));
          const r = await runCheck({ name, command, root, ledger, keyFile: key, namespace: config.evidence.namespace });
          const res = r.result;
          say(
            `${res.status === "passed" ? color.green("check " + name + " PASSED") : color.red("check " + name + " FAILED")} exit ${res.exitCode} in ${res.durationMs} ms for ${res.commit.slice(0, 12)}${res.tree === "dirty" ? color.yellow(" (working tree has uncommitted changes: recorded, but it does not count for the commit)") : ""}; ledger entry ${r.seq}, signed by ${r.keyId || "the SSH key"}`,
          );
          if (format === "json") writeJson({ seq: r.seq, ...res });
          process.exitCode = res.exitCode ?? 1;
        } finally {
          await ledger.close();
        }
      },
    );

  check
    .command("status")
    .description("which checks have a result for a commit signed by a trusted producer, and which entries do not count")
    .option("--commit <rev>", "commit (default HEAD)", "HEAD")
    .option("--ledger <location>", "ledger directory or postgres:// URL")
    .option("--format <format>", "text | json", "text")
    .action(async (o: { commit: string; ledger?: string; format: string }) => {
      const format = parseFormat(o.format, ["text", "json"] as const, "text");
      const root = requireRepoRoot(process.cwd(), "check status");
      const sha = await resolveRev(o.commit, root);
      const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
      const { producerTrust, readCheckEvidence, untrustedMessage } = await import("../../evidence/checks.js");
      const { openLedger } = await import("../../audit/index.js");
      const ledger = await openLedger(o.ledger ?? process.env.GITOPS_HEALTH_LEDGER ?? config.ledger.location, {
        cwd: root,
      });
      try {
        const ev = await readCheckEvidence(ledger, sha, producerTrust(config, root));
        if (format === "json") writeJson(ev);
        else {
          for (const n of ev.passed) say(`${color.green("passed")} ${n} (signed by ${ev.producers[n]})`);
          for (const n of ev.failed) say(`${color.red("failed")} ${n} (signed by ${ev.producers[n]})`);
          for (const u of ev.untrusted) say(color.yellow(untrustedMessage(u)));
          if (!ev.passed.length && !ev.failed.length && !ev.untrusted.length)
            say(`no check results for ${sha.slice(0, 12)}`);
        }
      } finally {
        await ledger.close();
      }
    });
}
