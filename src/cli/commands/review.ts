import { readEnv } from "../../config/env.js";
import type { Command } from "commander";
import { accessSync, constants } from "node:fs";
import { loadConfigFast } from "../../config/fast.js";
import { UserError } from "../../core/errors.js";
import { git, repoRoot } from "../../git/exec.js";
import { color, parseFormat, say, writeJson } from "../output.js";

/** Environment variables the job token is read from, in order (GitHub Actions sets GITHUB_TOKEN when asked to). */
export const TOKEN_ENV = ["GITHUB_TOKEN", "GH_TOKEN"] as const;
/** GitLab: an access token with read_api (GITLAB_TOKEN), else the CI job token (CI_JOB_TOKEN). */
export const GITLAB_TOKEN_ENV = ["GITLAB_TOKEN", "CI_JOB_TOKEN"] as const;

/** `review import`: forge review evidence, read from the forge's API and recorded signed by the producer key. */
export function register(program: Command): void {
  const review = program
    .command("review")
    .description("pull-request reviews from the forge as signed evidence for the approval rules");

  review
    .command("import")
    .description(
      "read a pull (merge) request, its commits and reviews (and CODEOWNERS team members) from the forge API and record them, signed by the producer key, in the ledger",
    )
    .option("--github", "read from GitHub (token: GITHUB_TOKEN or GH_TOKEN)")
    .option(
      "--gitlab",
      "read a merge request from GitLab (token: GITLAB_TOKEN with read_api, or CI_JOB_TOKEN; approvals, their commit from the merge request's versions)",
    )
    .option(
      "--repo <owner/name>",
      "repository, e.g. acme/ehr or group/subgroup/ehr on GitLab (default: GITHUB_REPOSITORY, CI_PROJECT_PATH)",
    )
    .requiredOption("--pr <number>", "pull request number (GitLab: the merge request IID)")
    .option(
      "--api-url <url>",
      "API root (GitHub Enterprise Server: https://HOST/api/v3, GitLab: https://HOST/api/v4; default GITHUB_API_URL / CI_API_V4_URL or the public forge)",
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
        gitlab?: boolean;
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
        if (Boolean(o.github) === Boolean(o.gitlab))
          throw new UserError("review import needs one forge: --github or --gitlab");
        const repo = o.repo ?? (o.gitlab ? process.env.CI_PROJECT_PATH : process.env.GITHUB_REPOSITORY);
        const m = o.gitlab
          ? /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_./-]+[A-Za-z0-9_-])$/.exec(repo ?? "")
          : /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(repo ?? "");
        if (!m || m[0].includes("//") || m[0].split("/").some((part) => part === "." || part === ".."))
          throw new UserError(`--repo must be ${o.gitlab ? "group/project" : "owner/name"}, got "${repo ?? ""}"`);
        if (!/^[1-9]\d{0,9}$/.test(o.pr)) throw new UserError(`--pr must be a pull request number, got "${o.pr}"`);
        const gitlabTokenEnv = GITLAB_TOKEN_ENV.find((k) => process.env[k]);
        const token = o.gitlab
          ? gitlabTokenEnv && process.env[gitlabTokenEnv]
          : TOKEN_ENV.map((k) => process.env[k]).find((v) => v);
        const apiUrl = o.apiUrl ?? (o.gitlab ? process.env.CI_API_V4_URL : process.env.GITHUB_API_URL);
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
        const got = o.gitlab
          ? await (
              await import("../../review/gitlab.js")
            ).fetchGitlabReviews({
              project: m[0],
              mr: Number(o.pr),
              token,
              tokenKind: gitlabTokenEnv === "CI_JOB_TOKEN" ? "job" : "private",
              baseUrl: apiUrl,
              groups: teams.map(([org, slug]) => `${org}/${slug}`),
            })
          : await (
              await import("../../review/github.js")
            ).fetchGithubReviews({
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
          const unresolved = (got as { unresolved?: string[] }).unresolved ?? [];
          if (unresolved.length)
            say(
              color.yellow(
                `  not recorded: GitLab does not establish which commit ${unresolved.join(", ")} approved (no approval note, or no merge request version before it)`,
              ),
            );
          if (format === "json") writeJson({ seqs, ...got });
        } finally {
          await ledger.close();
        }
      },
    );
}
