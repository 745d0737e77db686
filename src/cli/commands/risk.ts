import type { Command } from "commander";
import { resolve } from "node:path";
import { UserError } from "../../core/errors.js";
import { writeFileAtomic } from "../../core/fs.js";
import { loadConfigFast } from "../../config/fast.js";
import { requireRepoRoot } from "../../git/exec.js";
import { color, parseFormat, say, writeJson, writeOut, progress } from "../output.js";
import { serverClient, withServer } from "../server-client.js";

/** `risk score|train|eval`: change risk from the diff and the repository's own history. */
export function register(program: Command): void {
  const risk = program
    .command("risk")
    .description("change risk scoring (JIT defect prediction) and deployment strategy");
  withServer(risk.command("score"))
    .description("score a commit (default HEAD), the staged change, or a range")
    .argument("[rev]", "commit to score")
    .option("--staged", "score the staged change")
    .option("--range <A..B>", "score a range as one change")
    .option("--explain", "list every factor")
    .option("--format <format>", "text | json", "text")
    .option(
      "--repo <name>",
      "with --server: score REV of a repository registered with the service (with its history) instead of sending the diff",
    )
    .action(
      async (
        rev: string | undefined,
        o: { staged?: boolean; range?: string; explain?: boolean; format: string; server?: string; repo?: string },
      ) => {
        const format = parseFormat(o.format, ["text", "json"] as const, "text");
        if ([rev !== undefined, o.staged, o.range !== undefined].filter(Boolean).length > 1)
          throw new UserError("give one of REV, --staged or --range");
        const remote = await serverClient(o);
        if (o.repo !== undefined && !remote)
          throw new UserError("--repo names a repository of a service: give --server");
        if (o.repo !== undefined && (o.staged || o.range !== undefined))
          throw new UserError(
            "--repo scores one commit of the registered repository: give REV, not --staged or --range",
          );
        const cwd = o.repo !== undefined ? undefined : requireRepoRoot(process.cwd(), "risk score");
        const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
        const r: {
          score: number;
          level: string;
          strategy: string;
          approvals: number;
          model: string;
          warnings?: string[];
          likelihood?: number;
          impact?: { tier: number; floor?: string };
          factors: { name: string; value: number; contribution: number; explanation?: string }[];
        } = remote
          ? o.repo !== undefined
            ? await remote.repoRisk(o.repo, rev)
            : await remote.riskScore({ ...(await changeToSend(cwd!, rev, o)), classification: config.classification })
          : await (
              await import("../../risk/index.js")
            ).scoreChange({
              cwd,
              rev,
              staged: o.staged,
              range: o.range,
              config,
            });
        for (const w of r.warnings ?? []) say(color.yellow(`warning: ${w}`));
        if (format === "json") {
          writeJson(r);
          return;
        }
        writeOut(`${r.level} ${r.score}/100 — strategy ${r.strategy}, ${r.approvals} approval(s) (${r.model})`);
        if (r.impact)
          say(
            `  likelihood ${r.likelihood}/100; impact: tier-${r.impact.tier} critical path${r.impact.floor ? `, so at least ${r.impact.floor}` : ""}`,
          );
        for (const f of r.factors.slice(0, o.explain ? undefined : 5))
          say(
            `  ${f.contribution >= 0 ? "+" : ""}${f.contribution.toFixed(2)}  ${f.name} = ${f.value}${f.explanation ? `  (${f.explanation})` : ""}`,
          );
      },
    );

  risk
    .command("train")
    .description("label bug-introducing commits with SZZ and fit this repository's model")
    .option("--since <date>", "train only on commits after this date (models decay after about a year)")
    .option("--out <file>", "where to write the model", ".gitops-health/risk-model.json")
    .option("--max-fixes <n>", "blame at most this many fixes (more: an even sample over time)", "2000")
    .option("--min-labels <n>", "bug-introducing commits needed to write a model", "30")
    .action(async (o: { since?: string; out: string; maxFixes: string; minLabels: string }) => {
      const cwd = requireRepoRoot(process.cwd(), "risk train");
      const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
      const { buildDataset, train, usable, insufficientLabels, riskConvention } = await import("../../risk/index.js");
      const { scoreSpread, MIN_SPREAD } = await import("../../risk/model.js");
      const maxFixes = positiveInt(o.maxFixes, "--max-fixes");
      const minLabels = positiveInt(o.minLabels, "--min-labels");
      const bar = progress("labelling history with SZZ");
      const ds = await buildDataset(cwd, {
        maxFixes,
        criticalPaths: config.criticalPaths,
        convention: riskConvention(config),
      });
      bar.done();
      // Only commits that change source and fall in the window the blamed fixes cover (see usable()).
      const keepI = usable(ds);
      let commits = keepI.map((i) => ds.commits[i]!);
      let labels = keepI.map((i) => ds.labels[i]!);
      if (o.since) {
        const t = Date.parse(o.since);
        if (Number.isNaN(t)) throw new UserError(`--since: not a date: ${o.since}`);
        const keep = commits.map((c) => c.time * 1000 >= t);
        commits = commits.filter((_, i) => keep[i]);
        labels = labels.filter((_, i) => keep[i]);
      }
      const buggy = labels.reduce((a, b) => a + b, 0);
      const fixes = `${ds.fixes} fix(es) blamed of ${ds.fixesFound} found${ds.sampled ? ", sampled evenly over time" : ""} (${
        Object.entries(ds.fixBy)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "none"
      })`;
      say(`${commits.length} commits that change source, ${buggy} bug-introducing; ${fixes}`);
      const short = insufficientLabels(buggy, undefined, { train: minLabels, test: 0 });
      if (short) {
        say(color.yellow(`${short}: no model written, the default model stays`));
        process.exitCode = 1;
        return;
      }
      const model = train(commits, labels);
      const spread = scoreSpread(
        model,
        commits.map((c) => c.values),
      );
      if (spread.spread < MIN_SPREAD) {
        say(
          color.yellow(
            `the fitted model's scores barely spread (10th-90th percentile ${spread.p10}-${spread.p90}, L2 ${model.lambda}): it would rate nearly every change alike, so no model is written and the default model stays`,
          ),
        );
        process.exitCode = 1;
        return;
      }
      if (model.anchor)
        say(`kept: ${model.anchor.kept} (share of the fitted model ${model.anchor.alpha}): ${model.anchor.reason}`);
      model.trainedOn = { ...model.trainedOn!, fixes: ds.fixes, fixesFound: ds.fixesFound };
      const file = resolve(cwd, o.out);
      const { mkdirSync } = await import("node:fs");
      mkdirSync(resolve(file, ".."), { recursive: true });
      writeFileAtomic(file, JSON.stringify(model, null, 2) + "\n");
      say(
        `trained on ${commits.length} commits (${buggy} bug-introducing, from ${ds.fixes} fixes); score spread ${spread.p10}-${spread.p90} (10th-90th percentile); wrote ${o.out}`,
      );
    });

  risk
    .command("eval")
    .description(
      "time-ordered evaluation: train on older history (labels known then), test on newer; model vs lines-added baseline",
    )
    .option("--format <format>", "text | json", "text")
    .option("--max-fixes <n>", "blame at most this many fixes (more: an even sample over time)", "2000")
    .option(
      "--min-labels <train,test>",
      "bug-introducing commits needed in the training and test windows for an AUC",
      "30,10",
    )
    .action(async (o: { format: string; maxFixes: string; minLabels: string }) => {
      const format = parseFormat(o.format, ["text", "json"] as const, "text");
      const cwd = requireRepoRoot(process.cwd(), "risk eval");
      const maxFixes = positiveInt(o.maxFixes, "--max-fixes");
      const [minTrain, minTest] = o.minLabels.split(",").map((x) => positiveInt(x, "--min-labels"));
      if (minTrain === undefined || minTest === undefined)
        throw new UserError("--min-labels: give TRAIN,TEST (e.g. 30,10)");
      const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
      const { buildDataset, evaluate, riskConvention } = await import("../../risk/index.js");
      const { aucInterval } = await import("../../risk/model.js");
      const ds = await buildDataset(cwd, {
        maxFixes,
        criticalPaths: config.criticalPaths,
        convention: riskConvention(config),
      });
      const r = evaluate(ds, 0.7, { train: minTrain, test: minTest });
      if (r.insufficient) process.exitCode = 1;
      if (format === "json") {
        writeJson(r);
        return;
      }
      writeOut(
        `commits that change source: train ${r.train} (${r.buggyTrain} bug-introducing, known before the split), test ${r.test} (${r.buggyTest}); fixes blamed ${r.fixes} of ${r.fixesFound} found${r.sampled ? " (sampled evenly over time)" : ""}`,
      );
      if (r.insufficient) {
        writeOut(`${r.insufficient}: no AUC quoted`);
        return;
      }
      for (const [k, m] of [
        ["model", r.model],
        ["fitted", r.fitted],
        ["LA baseline", r.baseline],
        ["default", r.defaultModel],
      ] as const) {
        if (!m) continue;
        const [lo, hi] = aucInterval(m.auc, r.buggyTest, r.test - r.buggyTest);
        writeOut(
          `${k.padEnd(12)} AUC ${m.auc.toFixed(3)} (95% CI ${lo.toFixed(2)}-${hi.toFixed(2)})  MCC ${m.mcc.toFixed(3)}  recall@20% ${m.recall20.toFixed(3)}  Popt ${m.popt.toFixed(3)}`,
        );
      }
      if (r.anchor)
        writeOut(
          `model = what risk train keeps: ${r.anchor.kept} (share of the fitted model ${r.anchor.alpha}): ${r.anchor.reason}`,
        );
      writeOut(
        `L2 ${r.lambda}; model score spread ${r.spread!.p10}-${r.spread!.p90} (10th-90th percentile)${r.collapsed ? ": collapsed, `risk train` would keep the default model" : ""}`,
      );
    });
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`${flag}: not a whole number: ${v}`);
  return n;
}

/**
 * The change `risk score --server` sends: its unified diff plus author, message and time, read
 * here with git (the service scores it without this repository's history).
 */
async function changeToSend(
  cwd: string,
  rev: string | undefined,
  o: { staged?: boolean; range?: string },
): Promise<{ diff: string; author?: string; message?: string; time?: number }> {
  const { gitSync } = await import("../../git/exec.js");
  const flags = ["--no-color", "--no-ext-diff", "--no-renames"];
  if (o.staged) return { diff: gitSync(["diff", "--cached", ...flags], { cwd }) };
  if (o.range !== undefined) {
    if (o.range.startsWith("-")) throw new UserError(`--range must be A..B, got "${o.range}"`);
    return { diff: gitSync(["diff", ...flags, o.range, "--"], { cwd }) };
  }
  const commit = rev ?? "HEAD";
  if (commit.startsWith("-")) throw new UserError(`not a revision: "${commit}"`);
  let meta: string;
  try {
    meta = gitSync(["show", "-s", "--format=%ae%x00%at%x00%B", "--end-of-options", commit], { cwd });
  } catch {
    throw new UserError(`no such commit: ${commit}`);
  }
  const [author, time, message] = meta.split("\0");
  return {
    diff: gitSync(["show", ...flags, "--format=", "--end-of-options", commit, "--"], { cwd }),
    author,
    message: message?.trim().slice(0, 10_000),
    time: Number(time),
  };
}
