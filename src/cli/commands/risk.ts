import type { Command } from "commander";
import { resolve } from "node:path";
import { UserError } from "../../core/errors.js";
import { writeFileAtomic } from "../../core/fs.js";
import { loadConfigFast } from "../../config/fast.js";
import { requireRepoRoot } from "../../git/exec.js";
import { color, parseFormat, say, writeJson, writeOut, progress } from "../output.js";

/** `risk score|train|eval`: change risk from the diff and the repository's own history. */
export function register(program: Command): void {
  const risk = program.command("risk").description("change risk scoring (JIT defect prediction) and deployment strategy");
  risk
    .command("score")
    .description("score a commit (default HEAD), the staged change, or a range")
    .argument("[rev]", "commit to score")
    .option("--staged", "score the staged change")
    .option("--range <A..B>", "score a range as one change")
    .option("--explain", "list every factor")
    .option("--format <format>", "text | json", "text")
    .action(async (rev: string | undefined, o: { staged?: boolean; range?: string; explain?: boolean; format: string }) => {
      const format = parseFormat(o.format, ["text", "json"] as const, "text");
      if ([rev !== undefined, o.staged, o.range !== undefined].filter(Boolean).length > 1) throw new UserError("give one of REV, --staged or --range");
      const cwd = requireRepoRoot(process.cwd(), "risk score");
      const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
      const { scoreChange } = await import("../../risk/index.js");
      const r = await scoreChange({ cwd, rev, staged: o.staged, range: o.range, config });
      for (const w of r.warnings ?? []) say(color.yellow(`warning: ${w}`));
      if (format === "json") {
        writeJson(r);
        return;
      }
      writeOut(`${r.level} ${r.score}/100 — strategy ${r.strategy}, ${r.approvals} approval(s) (${r.model})`);
      for (const f of r.factors.slice(0, o.explain ? undefined : 5)) say(`  ${f.contribution >= 0 ? "+" : ""}${f.contribution.toFixed(2)}  ${f.name} = ${f.value}${f.explanation ? `  (${f.explanation})` : ""}`);
    });

  risk
    .command("train")
    .description("label bug-introducing commits with SZZ and fit this repository's model")
    .option("--since <date>", "train only on commits after this date (models decay after about a year)")
    .option("--out <file>", "where to write the model", ".gitops-health/risk-model.json")
    .option("--max-fixes <n>", "blame at most this many recent fixes", "400")
    .action(async (o: { since?: string; out: string; maxFixes: string }) => {
      const cwd = requireRepoRoot(process.cwd(), "risk train");
      const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
      const { buildDataset, train, usable } = await import("../../risk/index.js");
      const bar = progress("labelling history with SZZ");
      const ds = await buildDataset(cwd, { maxFixes: Number(o.maxFixes), criticalPaths: config.criticalPaths });
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
      if (labels.reduce((a, b) => a + b, 0) === 0) throw new UserError("no bug-introducing commits found (no fix commits with blameable changes): keep the default model");
      const model = train(commits, labels);
      const file = resolve(cwd, o.out);
      const { mkdirSync } = await import("node:fs");
      mkdirSync(resolve(file, ".."), { recursive: true });
      writeFileAtomic(file, JSON.stringify(model, null, 2) + "\n");
      say(`trained on ${commits.length} commits (${labels.reduce((a, b) => a + b, 0)} bug-introducing, from ${ds.fixes} fixes); wrote ${o.out}`);
    });

  risk
    .command("eval")
    .description("time-ordered evaluation: train on older history (labels known then), test on newer; model vs lines-added baseline")
    .option("--format <format>", "text | json", "text")
    .option("--max-fixes <n>", "blame at most this many recent fixes", "400")
    .action(async (o: { format: string; maxFixes: string }) => {
      const format = parseFormat(o.format, ["text", "json"] as const, "text");
      const cwd = requireRepoRoot(process.cwd(), "risk eval");
      const { buildDataset, evaluate } = await import("../../risk/index.js");
      const { aucInterval } = await import("../../risk/model.js");
      const ds = await buildDataset(cwd, { maxFixes: Number(o.maxFixes) });
      if (ds.labels.reduce((a, b) => a + b, 0) < 2) throw new UserError("too few bug-introducing commits to evaluate");
      const r = evaluate(ds);
      if (format === "json") writeJson(r);
      else {
        writeOut(`commits that change source: train ${r.train} (${r.buggyTrain} bug-introducing, known before the split), test ${r.test} (${r.buggyTest}); L2 ${r.lambda}`);
        for (const [k, m] of [["model", r.model], ["LA baseline", r.baseline]] as const) {
          const [lo, hi] = aucInterval(m.auc, r.buggyTest, r.test - r.buggyTest);
          writeOut(`${k.padEnd(12)} AUC ${m.auc.toFixed(3)} (95% CI ${lo.toFixed(2)}-${hi.toFixed(2)})  MCC ${m.mcc.toFixed(3)}  recall@20% ${m.recall20.toFixed(3)}  Popt ${m.popt.toFixed(3)}`);
        }
      }
    });
}
