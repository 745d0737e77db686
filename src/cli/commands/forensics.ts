import type { Command } from "commander";
import { UserError } from "../../core/errors.js";
import { requireRepoRoot } from "../../git/exec.js";
import { color, parseFormat, say, writeJson } from "../output.js";

/** `forensics bisect`: find the commit that broke a test in fewer runs, tolerating flaky tests. */
export function register(program: Command): void {
  const forensics = program.command("forensics").description("incident forensics");
  forensics
    .command("bisect")
    .description("Bayesian, flake-aware bisection; each candidate is tested in its own git worktree")
    .requiredOption("--good <rev>", "a commit where the test passes")
    .requiredOption("--bad <rev>", "a commit where the test fails")
    .option("--prior <prior>", "auto | relevance | risk | uniform", "auto")
    .option("--flaky <rate>", "spurious failure rate of the test on good commits (0..0.5)")
    .option("--no-pass-reliable", "a pass may be wrong too (bad commits can pass)")
    .option("--confidence <p>", "stop when the culprit's posterior reaches this", "0.99")
    .option("-j, --jobs <n>", "test this many candidates at once (k-ary search)", "1")
    .option("--timeout <sec>", "kill a test after this many seconds (counted as untestable)")
    .option("--max-runs <n>", "give up after this many search runs")
    .option("--estimate-runs <n>", "without --flaky: re-run the good commit n times to estimate the flake rate", "0")
    .option("--all-commits", "search every commit, not just the first-parent line")
    .option("--format <format>", "text | json", "text")
    .argument("<command...>", "test command, after --; exit 0 good, 125 skip, 1-127 bad, >= 128 abort")
    .action(
      async (
        command: string[],
        o: {
          good: string;
          bad: string;
          prior: string;
          flaky?: string;
          passReliable: boolean;
          confidence: string;
          jobs: string;
          timeout?: string;
          maxRuns?: string;
          allCommits?: boolean;
          estimateRuns: string;
          format: string;
        },
      ) => {
        const format = parseFormat(o.format, ["text", "json"] as const, "text");
        if (!["auto", "relevance", "risk", "uniform"].includes(o.prior))
          throw new UserError(`unknown --prior "${o.prior}" (valid: auto, relevance, risk, uniform)`);
        const num = (v: string | undefined, name: string, min: number, max: number) => {
          if (v === undefined) return undefined;
          const n = Number(v);
          if (!Number.isFinite(n) || n < min || n > max)
            throw new UserError(`${name} must be a number from ${min} to ${max}`);
          return n;
        };
        const cwd = requireRepoRoot(process.cwd(), "forensics bisect");
        const { bisect } = await import("../../forensics/bisect.js");
        const report = await bisect({
          cwd,
          good: o.good,
          bad: o.bad,
          command,
          prior: o.prior as "auto",
          flaky: num(o.flaky, "--flaky", 0, 0.5),
          passReliable: o.passReliable,
          confidence: num(o.confidence, "--confidence", 0.5, 0.999999)!,
          jobs: Math.floor(num(o.jobs, "--jobs", 1, 64)!),
          timeoutSec: num(o.timeout, "--timeout", 0.1, 86400),
          maxRuns: num(o.maxRuns, "--max-runs", 1, 10000),
          estimateRuns: Math.floor(num(o.estimateRuns, "--estimate-runs", 0, 100)!),
          firstParent: !o.allCommits,
          onRun: (r) =>
            say(
              color.dim(
                `  ${r.commit.slice(0, 12)} ${r.result}${r.exitCode !== null ? ` (exit ${r.exitCode})` : ""} ${r.durationMs} ms${r.note ? ` ${r.note}` : ""}`,
              ),
            ),
        });
        if (format === "json") writeJson(report);
        const total = report.runs.length;
        if (report.outcome === "culprit" && report.culprit) {
          say(
            color.bold(
              `culprit: ${report.culprit.sha.slice(0, 12)} ${report.culprit.subject} (${report.culprit.author}), confidence ${report.culprit.confidence.toFixed(4)}`,
            ),
          );
        } else if (report.outcome === "no-culprit") {
          say(color.yellow("no culprit: the failures are best explained by a flaky test"));
        } else {
          say(
            color.yellow(
              `undecided: the first bad commit could be any of ${report.plausible.map((s) => s.slice(0, 12)).join(", ")}`,
            ),
          );
        }
        say(
          `${report.searchRuns} search run(s) + 2 endpoint checks = ${total} test runs over ${report.candidates} candidates (git bisect: about ${report.gitBisectRuns}); prior ${report.prior}${report.flakeRate ? `, flake rate ${report.flakeRate}` : ""}`,
        );
        process.exitCode = report.outcome === "culprit" ? 0 : 1;
      },
    );
}
