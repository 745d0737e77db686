/**
 * The GitHub Action (action.yml, bundled to dist-action/index.js): a thin front that runs the
 * gitops-health CLI for one command, then turns its machine output into step outputs, a job summary
 * and, optionally, one sticky pull-request comment. Nothing here decides anything: the CLI does.
 * Fork-safe: scan, compliance and risk need no secret; the comment is skipped when the pull request
 * comes from a fork (its token cannot write), never failing the job for it.
 */
import * as core from "@actions/core";
import * as github from "@actions/github";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const COMMENT_MARKER = "<!-- gitops-health -->";
const ZERO = /^0+$/;

interface Ran {
  code: number;
  stdout: string;
}

/** The CLI: the `cli` input, else a build beside this bundle, else the workspace's installed one, else npx. */
function cliCommand(workspace: string): string[] {
  const given = core.getInput("cli");
  if (given)
    return given.endsWith(".js")
      ? [process.execPath, isAbsolute(given) ? given : resolve(workspace, given)]
      : given.split(/\s+/);
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, "..", "dist", "cli.js");
  if (existsSync(beside)) return [process.execPath, beside];
  const installed = join(workspace, "node_modules", "gitops-health", "dist", "cli.js");
  if (existsSync(installed)) return [process.execPath, installed];
  return ["npx", "--yes", `gitops-health@${core.getInput("version") || "latest"}`];
}

function run(cli: string[], args: string[], cwd: string): Promise<Ran> {
  core.info(`$ gitops-health ${args.join(" ")}`);
  return new Promise((done) => {
    const child = spawn(cli[0]!, [...cli.slice(1), ...args], {
      cwd,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.on("error", (err) => {
      core.error(`cannot run gitops-health: ${err.message}`);
      done({ code: 127, stdout: "" });
    });
    child.on("close", (code) => done({ code: code ?? 1, stdout: Buffer.concat(chunks).toString("utf8") }));
  });
}

/** The change under review: the `range` input, else the pull request's base..head, else the push's before..after, else HEAD's own change. */
export function changeRange(ctx: Pick<typeof github.context, "eventName" | "payload">, input: string): string {
  if (input) return input;
  const pr = ctx.payload.pull_request as { base?: { sha?: string }; head?: { sha?: string } } | undefined;
  if (pr?.base?.sha && pr.head?.sha) return `${pr.base.sha}..${pr.head.sha}`;
  const before = ctx.payload.before as string | undefined;
  const after = ctx.payload.after as string | undefined;
  if (before && after && !ZERO.test(before)) return `${before}..${after}`;
  return "HEAD~1..HEAD";
}

/** A pull request from a fork: its token is read-only and it has no secrets. */
export function fromFork(payload: typeof github.context.payload): boolean {
  const pr = payload.pull_request as
    | { head?: { repo?: { full_name?: string; fork?: boolean } | null }; base?: { repo?: { full_name?: string } } }
    | undefined;
  if (!pr) return false;
  return Boolean(pr.head?.repo?.fork) || (pr.head?.repo?.full_name ?? "") !== (pr.base?.repo?.full_name ?? "");
}

type SarifLog = {
  runs?: {
    results?: {
      ruleId?: string;
      level?: string;
      message?: { text?: string };
      locations?: { physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } } }[];
    }[];
  }[];
};

function sarifRows(text: string): string[][] {
  let log: SarifLog;
  try {
    log = JSON.parse(text) as SarifLog;
  } catch {
    return [];
  }
  return (log.runs ?? [])
    .flatMap((r) => r.results ?? [])
    .map((x) => {
      const loc = x.locations?.[0]?.physicalLocation;
      return [
        x.level ?? "",
        x.ruleId ?? "",
        `${loc?.artifactLocation?.uri ?? ""}${loc?.region?.startLine ? `:${loc.region.startLine}` : ""}`,
        (x.message?.text ?? "").replace(/\|/g, "\\|"),
      ];
    });
}

const cell = (s: string, header = false) => ({ data: s, header });

export async function main(): Promise<void> {
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  const command = (core.getInput("command") || "compliance").trim();
  const classification = core.getInput("classification");
  const failOn = core.getInput("fail-on");
  const sarifInput = core.getInput("sarif");
  const extra = core.getInput("args").split(/\s+/).filter(Boolean);
  const range = changeRange(github.context, core.getInput("range"));
  const cli = cliCommand(workspace);
  const md: string[] = [];
  let code: number;
  const sarifFile = (name: string) => resolve(workspace, sarifInput || `gitops-health-${name}.sarif`);
  const writeSarif = (file: string, text: string) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    core.setOutput("sarif", file);
  };
  const summary = core.summary.addHeading(`gitops-health ${command}`, 2);

  if (command === "scan" || command === "compliance") {
    const args =
      command === "scan"
        ? ["scan", "--diff", range, "--format", "sarif", ...(failOn ? ["--fail-on", failOn] : [])]
        : [
            "compliance",
            "check",
            "--range",
            range,
            "--format",
            "sarif",
            ...(classification ? ["--pack", classification] : []),
            ...(failOn ? ["--fail-on", failOn] : []),
          ];
    const r = await run(cli, [...args, ...extra], workspace);
    code = r.code;
    const rows = sarifRows(r.stdout);
    if (r.stdout.trim().startsWith("{")) writeSarif(sarifFile(command), r.stdout);
    const line =
      code === 0
        ? `✅ passed: ${rows.length} result(s) below the gate in \`${range}\``
        : code === 1
          ? `❌ failed: ${rows.length} result(s) in \`${range}\``
          : `⚠️ could not run (exit ${code})`;
    summary.addRaw(line, true);
    md.push(line);
    if (rows.length) {
      summary.addTable([
        ["level", "rule", "location", "message"].map((h) => cell(h, true)),
        ...rows.slice(0, 50).map((row) => row.map((c) => cell(c))),
      ]);
      md.push(
        "",
        "| level | rule | location | message |",
        "| --- | --- | --- | --- |",
        ...rows.slice(0, 50).map((row) => `| ${row.join(" | ")} |`),
      );
    }
  } else if (command === "risk") {
    const r = await run(cli, ["risk", "score", "--range", range, "--format", "json", ...extra], workspace);
    code = r.code;
    try {
      const j = JSON.parse(r.stdout) as { score: number; level: string; strategy: string; approvals: number };
      core.setOutput("risk-score", String(j.score));
      core.setOutput("risk-level", j.level);
      core.setOutput("strategy", j.strategy);
      const line = `risk **${j.level}** ${j.score}/100 → strategy **${j.strategy}**, ${j.approvals} approval(s)`;
      summary.addRaw(line, true);
      md.push(line);
    } catch {
      if (code === 0) code = 2;
      summary.addRaw(`⚠️ could not score the change (exit ${r.code})`, true);
    }
  } else if (command === "pipeline") {
    const env = core.getInput("environment") || "staging";
    const approve = core.getInput("approve") === "true";
    const r = await run(
      cli,
      ["pipeline", "run", "--env", env, "--format", "json", ...(approve ? ["--approve"] : []), ...extra],
      workspace,
    );
    code = r.code;
    const events = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map(
        (l) =>
          JSON.parse(l) as Record<string, unknown> & {
            event: string;
            stage?: string;
            status?: string;
            detail?: string;
            durationMs?: number;
            data?: Record<string, unknown>;
            message?: string;
            runId?: string;
          },
      );
    const stages = events.filter((e) => e.event === "stage");
    const risk = stages.find((e) => e.stage === "risk")?.data;
    const plan = stages.find((e) => e.stage === "plan")?.data;
    if (risk) {
      core.setOutput("risk-score", String(risk.score));
      core.setOutput("risk-level", String(risk.level));
    }
    if (plan) core.setOutput("strategy", String(plan.strategy));
    const done = events.find((e) => e.event === "done");
    if (done?.runId) core.setOutput("run-id", String(done.runId));
    summary.addTable([
      ["stage", "status", "time", "detail"].map((h) => cell(h, true)),
      ...stages.map((s) => [
        cell(s.stage ?? ""),
        cell(s.status ?? ""),
        cell(`${((s.durationMs ?? 0) / 1000).toFixed(1)}s`),
        cell(s.detail ?? ""),
      ]),
    ]);
    md.push(
      "| stage | status | detail |",
      "| --- | --- | --- |",
      ...stages.map((s) => `| ${s.stage} | ${s.status} | ${(s.detail ?? "").replace(/\|/g, "\\|")} |`),
    );
    if (done?.message) {
      summary.addRaw(String(done.message), true);
      md.push("", String(done.message));
    }
  } else {
    // Any other command (e.g. a future `review import`): run it as given, report its exit code.
    const r = await run(cli, [...command.split(/\s+/), ...extra], workspace);
    code = r.code;
    if (r.stdout) process.stdout.write(r.stdout);
    summary.addRaw(`exit ${code}`, true);
    md.push(`\`gitops-health ${command}\`: exit ${code}`);
  }
  core.setOutput("exit-code", String(code));
  await summary.write();

  if (core.getInput("comment") === "true" && github.context.payload.pull_request) {
    if (fromFork(github.context.payload))
      core.notice("pull request from a fork: its token cannot comment; see the job summary");
    else
      await stickyComment(
        `${COMMENT_MARKER.replace("-->", `${command} -->`)}\n### gitops-health ${command}\n\n${md.join("\n")}\n`,
        command,
      ).catch((err: Error) => core.warning(`could not comment on the pull request: ${err.message}`));
  }
  if (code === 1) core.setFailed(`gitops-health ${command}: the gate failed`);
  else if (code !== 0) core.setFailed(`gitops-health ${command}: exit ${code}`);
}

/** One comment per command on the pull request, updated in place on every push. */
async function stickyComment(body: string, command: string): Promise<void> {
  const token = core.getInput("github-token");
  if (!token) return;
  const octokit = github.getOctokit(token);
  const { owner, repo } = github.context.repo;
  const issue_number = github.context.payload.pull_request!.number as number;
  const marker = COMMENT_MARKER.replace("-->", `${command} -->`);
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner,
    repo,
    issue_number,
    per_page: 100,
  });
  const mine = comments.find((c) => c.body?.startsWith(marker));
  if (mine) await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
  else await octokit.rest.issues.createComment({ owner, repo, issue_number, body });
}

main().catch((err: Error) => core.setFailed(err.message));
