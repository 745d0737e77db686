import type { Command } from "commander";
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { packageVersion } from "../../core/paths.js";
import { UserError } from "../../core/errors.js";
import { loadConfigFast } from "../../config/fast.js";
import { requireRepoRoot, resolveRev } from "../../git/exec.js";
import { color, parseFormat, say, writeOut } from "../output.js";
import { readEnv } from "../../config/env.js";
import { parseSeverity, severityAtLeast } from "../../core/vocabulary.js";

/** `compliance check|record-check`: the policy gate for commits and CI. */
export function register(program: Command): void {
  const compliance = program.command("compliance").description("policy packs mapped to regulatory controls");
  const openLedgerIfConfigured = async (spec: string | undefined, configured: string | undefined, cwd: string) => {
    const { openLedger, ledgerLocation } = await import("../../audit/index.js");
    const explicit = spec ?? process.env.GITOPS_HEALTH_LEDGER ?? configured;
    if (!explicit && !existsSync(ledgerLocation(undefined, cwd))) return undefined;
    return openLedger(explicit, { cwd });
  };

  compliance
    .command("check")
    .description("evaluate the pack's CEL rules over a range and report each control as met, failed or not evidenced")
    .option("--range <A..B>", "commits to check (default: HEAD alone)")
    .option("--pack <name>", "personal | business | clinical (default: the configured classification)")
    .option("--fail-on <severity>", "low | medium | high", "high")
    .option("--ledger <location>", "ledger for check results and the summary entry")
    .option("--format <format>", "text | json | sarif | markdown | junit", "text")
    .option(
      "--self-check",
      "evaluate as the `compliance` check itself (check run compliance): do not require a compliance check result",
    )
    .action(
      async (o: {
        range?: string;
        pack?: string;
        failOn: string;
        ledger?: string;
        format: string;
        selfCheck?: boolean;
      }) => {
        const format = parseFormat(o.format, ["text", "json", "sarif", "markdown", "junit"] as const, "text");
        const failOn = parseSeverity(o.failOn, "--fail-on");
        const cwd = requireRepoRoot(process.cwd(), "compliance check");
        const { config, file } = await loadConfigFast({ file: program.opts().config as string | undefined });
        const ledger = await openLedgerIfConfigured(o.ledger, config.ledger.location, cwd);
        const { complianceCheck } = await import("../../policy/check.js");
        try {
          const r = await complianceCheck({
            cwd,
            config,
            range: o.range,
            pack: o.pack,
            ledger,
            selfCheck: o.selfCheck,
            configFile: file,
          });
          const failing = r.violations.filter((v) => severityAtLeast(v.severity, failOn));
          if (!r.range.complete)
            say(
              color.yellow(
                `warning: shallow clone: checked ${r.range.commits} commit(s) back to the shallow boundary, not the whole range${r.range.missingBase ? ` (its base ${r.range.missingBase} was not fetched)` : ""}; run git fetch --unshallow (fetch-depth: 0 in actions/checkout) and check again`,
              ),
            );
          else if (r.range.shallow)
            say(color.dim(`shallow clone: the ${r.range.commits} commit(s) of the range are all present`));
          // Resolved commit hashes only: HEAD or a branch name would not say what was checked.
          const { from: _f, to: _t, missingBase: _m, ...rangeFacts } = r.range;
          if (ledger)
            await ledger.append({
              type: "compliance.check",
              subject: r.commits.to,
              payload: {
                pack: r.pack,
                // labels for the dashboard's per-repository view (not identity, not evidence)
                repo: await (await import("../../git/repo-label.js")).repoLabel(cwd),
                classification: config.classification,
                range: { ...rangeFacts, from: r.commits.from, to: r.commits.to },
                ...(o.selfCheck ? { selfCheck: true } : {}),
                checks: { required: r.checks.required, passed: r.checks.passed, producers: r.checks.producers },
                violations: r.violations.length,
                failing: failing.length,
                controls: Object.fromEntries(
                  r.controls.filter((c) => c.status !== "not evidenced").map((c) => [c.id, c.status]),
                ),
              },
            });
          const report = await import("../../policy/report.js");
          const { untrustedMessage } = await import("../../evidence/checks.js");
          if (format !== "text")
            writeOut(
              report.complianceWriters.get(format).write(r, {
                version: packageVersion,
                configFile: relative(cwd, file ?? join(cwd, ".gitops-health.yml")) || ".gitops-health.yml",
              }),
            );
          else {
            for (const c of r.controls.filter((x) => x.status !== "not evidenced"))
              say(`${c.status === "met" ? color.green("met   ") : color.red("FAILED")} ${c.id} ${c.title}`);
            say(
              color.dim(
                `${r.controls.filter((c) => c.status === "not evidenced").length} control(s) not evidenced by this pack`,
              ),
            );
            for (const u of r.checks.untrusted) say(color.yellow(untrustedMessage(u)));
            if (r.checks.missing.length)
              say(
                `checks without a passed result for ${r.range.to}: ${r.checks.missing.join(", ")} (record them with gitops-health check run NAME, signed by a trusted producer)`,
              );
            for (const v of r.violations)
              say(
                `${v.severity === "high" ? color.red(v.severity) : color.yellow(v.severity)} ${v.rule}${v.commit ? ` ${v.commit.slice(0, 10)}` : ""}: ${v.message}`,
              );
            // Approvals: forge evidence per change; trailers are shown, never counted.
            for (const c of r.reviews.commits) {
              if (c.pull) say(color.dim(`review ${c.commit.slice(0, 10)}: ${c.summary}`));
              if (c.unverifiedTrailers.length)
                say(
                  color.yellow(
                    `unverified ${c.commit.slice(0, 10)}: Approved-by/Reviewed-by trailer(s) ${c.unverifiedTrailers.join(", ")} are written by the author and do not count as approvals`,
                  ),
                );
            }
            if (r.reviews.rejected.length)
              say(
                color.yellow(
                  `${r.reviews.rejected.length} review record(s) do not count: ${[...new Set(r.reviews.rejected.map((x) => x.reason))].join("; ")}`,
                ),
              );
            say(
              `${r.range.commits} commit(s) checked with the ${r.pack} pack: ${failing.length} violation(s) at or above ${o.failOn}`,
            );
          }
          if (failing.length) process.exitCode = 1;
        } finally {
          await ledger?.close();
        }
      },
    );

  compliance
    .command("record-check")
    .description(
      "attest a check result that ran elsewhere, signed with a producer key (prefer check run, which runs the check itself)",
    )
    .argument("<name>", "check name, e.g. test")
    .requiredOption("--status <status>", "passed | failed")
    .option("--commit <rev>", "commit (default HEAD)", "HEAD")
    .option("--key <file>", "producer signing key (default: GITOPS_HEALTH_EVIDENCE_KEY, config evidence.key)")
    .option("--ledger <location>", "ledger location")
    .action(async (name: string, o: { status: string; commit: string; key?: string; ledger?: string }) => {
      const { CheckRecord } = await import("../../policy/check.js");
      const parsed = CheckRecord.safeParse({ name, status: o.status });
      if (!parsed.success)
        throw new UserError(
          `invalid check: ${parsed.error.issues[0]!.path.join(".")}: ${parsed.error.issues[0]!.message}`,
        );
      const cwd = requireRepoRoot(process.cwd(), "compliance record-check");
      const sha = await resolveRev(o.commit, cwd);
      const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
      const { producerKeyFile, signCheck } = await import("../../evidence/checks.js");
      const key = producerKeyFile(o.key ?? readEnv().evidenceKey, config, process.cwd());
      if (!key)
        throw new UserError(
          "compliance record-check signs with a producer key: give --key FILE, set GITOPS_HEALTH_EVIDENCE_KEY or evidence.key",
        );
      const signed = signCheck(
        {
          ...parsed.data,
          exitCode: null,
          durationMs: null,
          outputSha256: null,
          commit: sha,
          tree: "clean",
          ran: false,
        },
        key,
        config.evidence.namespace,
      );
      const { openLedger } = await import("../../audit/index.js");
      const ledger = await openLedger(o.ledger ?? process.env.GITOPS_HEALTH_LEDGER ?? config.ledger.location, { cwd });
      try {
        const r = await ledger.append({ type: "check", subject: sha, payload: signed });
        say(
          `recorded ${name} ${o.status} for ${sha.slice(0, 12)} (ledger entry ${r.seq}), signed by ${signed.signature.keyId || signed.signature.method}`,
        );
      } finally {
        await ledger.close();
      }
    });
}
