import { readEnv } from "../../config/env.js";
import type { Command } from "commander";
import { accessSync, constants } from "node:fs";
import { loadConfigFast } from "../../config/fast.js";
import { UserError } from "../../core/errors.js";
import { git, repoRoot } from "../../git/exec.js";
import { color, parseFormat, say, writeJson } from "../output.js";

/** Environment variables the job token is read from, in order (GitHub Actions sets GITHUB_TOKEN when asked to). */
export const TOKEN_ENV = ["GITHUB_TOKEN", "GH_TOKEN"] as const;

/** `review import`: forge review evidence, read from the forge's API and recorded signed by the producer key. */
export function register(program: Command): void {
  const review = program
    .command("review")
    .description("pull-request reviews from the forge as signed evidence for the approval rules");

  review
    .command("import")
    .description(
      "read a pull request, its commits and reviews (and CODEOWNERS team members) from the forge API and record them, signed by the producer key, in the ledger",
    )
    .option("--github", "read from GitHub (the only forge import supports; GitLab approvals arrive by webhook)")
    .requiredOption(
      "--repo <owner/name>",
      "repository, e.g. acme/ehr (default: GITHUB_REPOSITORY)",
      process.env.GITHUB_REPOSITORY,
    )
    .requiredOption("--pr <number>", "pull request number")
    .option(
      "--api-url <url>",
      "API root (GitHub Enterprise Server: https://HOST/api/v3; default GITHUB_API_URL or https://api.github.com)",
    )
    .option("--key <file>", "producer signing key (default: GITOPS_HEALTH_EVIDENCE_KEY, config evidence.key)")
    .option(
      "--ledger <location>",
      "ledger directory or postgres:// URL (default: GITOPS_HEALTH_LEDGER, config ledger.location)",
    )
    .option(
      "--codeowners-rev <rev>",
      "read CODEOWNERS at this revision to resolve @org/team owners (default: HEAD; teams need a token with members: read)",
      "HEAD",
    )
    .option("--no-teams", "do not resolve CODEOWNERS teams")
    .option("--format <format>", "text | json", "text")
    .action(
      async (o: {
        github?: boolean;
        repo?: string;
        pr: string;
        apiUrl?: string;
        key?: string;
        ledger?: string;
        codeownersRev: string;
        teams: boolean;
        format: string;
      }) => {
        const format = parseFormat(o.format, ["text", "json"] as const, "text");
        if (!o.github) throw new UserError("review import needs a forge: --github");
        const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(o.repo ?? "");
        if (!m) throw new UserError(`--repo must be owner/name, got "${o.repo ?? ""}"`);
        if (!/^[1-9]\d{0,9}$/.test(o.pr)) throw new UserError(`--pr must be a pull request number, got "${o.pr}"`);
        const token = TOKEN_ENV.map((k) => process.env[k]).find((v) => v);
        const apiUrl = o.apiUrl ?? process.env.GITHUB_API_URL;
        if (apiUrl && !/^https?:\/\//.test(apiUrl))
          throw new UserError(`--api-url must be an http(s) URL, got "${apiUrl}"`);
        const cwd = process.cwd();
        const root = repoRoot(cwd);
        const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
        const { producerKeyFile } = await import("../../evidence/checks.js");
        const key = producerKeyFile(o.key ?? readEnv().evidenceKey, config, cwd);
        if (!key)
          throw new UserError(
            "review import signs what it read with a producer key: give --key FILE, set GITOPS_HEALTH_EVIDENCE_KEY or evidence.key",
          );
        try {
          accessSync(key, constants.R_OK);
        } catch {
          throw new UserError(`cannot read producer key ${key}`);
        }
        const { CODEOWNERS_LOCATIONS, parseCodeOwners, teamsIn } = await import("../../review/codeowners.js");
        let teams: [string, string][] = [];
        if (o.teams && root) {
          for (const path of CODEOWNERS_LOCATIONS) {
            const text = await git(["show", `${o.codeownersRev}:${path}`], { cwd: root }).catch(() => undefined);
            if (text !== undefined) {
              teams = teamsIn(parseCodeOwners(text));
              break;
            }
          }
        }
        const { fetchGithubReviews } = await import("../../review/github.js");
        const got = await fetchGithubReviews({
          owner: m[1]!,
          repo: m[2]!,
          pull: Number(o.pr),
          token,
          baseUrl: apiUrl,
          teams,
        });
        const { keyFileSigner, recordReviewEvidence } = await import("../../review/evidence.js");
        const { openLedger } = await import("../../audit/index.js");
        const ledger = await openLedger(o.ledger ?? process.env.GITOPS_HEALTH_LEDGER ?? config.ledger.location, {
          cwd: root ?? cwd,
        });
        try {
          const records = [
            { kind: "pull" as const, record: got.pull },
            ...got.reviews.map((r) => ({ kind: "review" as const, record: r })),
            ...got.teams.map((t) => ({ kind: "team" as const, record: t })),
          ];
          const seqs = await recordReviewEvidence(ledger, records, keyFileSigner(key, config.evidence.namespace));
          const p = got.pull;
          say(
            `${color.green("recorded")} ${p.repo}#${p.number} (${p.state}, head ${p.head.slice(0, 10)}${p.mergeCommit ? `, merged as ${p.mergeCommit.slice(0, 10)}` : ""}): ${p.commits?.length ?? 0} commit(s), ${got.reviews.length} review(s)${got.teams.length ? `, ${got.teams.length} team(s)` : ""}; ledger entries ${seqs[0]}-${seqs[seqs.length - 1]}`,
          );
          for (const r of got.reviews)
            say(color.dim(`  ${r.reviewer.login} ${r.state} ${r.commit.slice(0, 10)} at ${r.submittedAt}`));
          if (format === "json") writeJson({ seqs, ...got });
        } finally {
          await ledger.close();
        }
      },
    );
}
