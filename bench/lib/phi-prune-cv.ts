// Feature pruning of the statistical PHI tagger (issue 14 §1, branch h2): the shipped recipe's
// taggers of 4-fold CV on PhysioNet folds 1-4 (bench/lib/phi-span-cv.ts), each re-encoded dropping
// weights below a larger |w| (features left with no weight leave the table), scored with the
// shipped engine's span classifier (trained on out-of-fold proposals of the unpruned taggers) on
// the notes and their OOV transform, with the tagger stage's CPU time per setting (the same notes,
// settings alternated in rounds, median). Folds 1-4 only; fold 0 is not read.
//
//   GITOPS_HEALTH_SHARED=/work/shared npx tsx bench/lib/phi-prune-cv.ts
import { combine, decodeModel, encodeModel, type TaggerModel } from "../../src/phi/tagger/model.js";
import { proposeSpans, spanProbability, trainSpanClassifier } from "../../src/phi/tagger/spans.js";
import type { Candidate } from "../../src/phi/candidate.js";
import { Scanner, toFindings } from "../../src/phi/scanner.js";
import { evaluate, loadPhysionet, PHYSIONET_MAP, scoredPreds, type Doc, type Pred } from "./phi-corpora.js";
import { BLIND_FOLD, patientFold } from "./phi-folds.js";
import { OOV_EVAL_SEED, oovDocs } from "./phi-oov.js";
import { oofExamples, taggerOn } from "./phi-span-cv.js";
import { SPAN_SETTING } from "../../scripts/train-phi-tagger.js";

const MIN_WEIGHTS = [0, 0.4, 1, 2, 4];
const rulesOnly = new Scanner({ tagger: false });
const predsOf = (text: string, cands: Candidate[]): Pred[] =>
  scoredPreds(
    toFindings(
      text,
      cands.filter((c) => c.kind === "phi"),
      {},
    ),
  );
const prune = (m: TaggerModel, mw: number): TaggerModel =>
  mw === 0 ? m : decodeModel(encodeModel(m.table, m.w, { bias: 0, trainedOn: "", epochs: 5, seed: 14 }, mw));

function main(): void {
  const physio = loadPhysionet();
  const dev = physio.filter((d) => patientFold(d.group) !== BLIND_FOLD);
  const fold = (d: Doc) => patientFold(d.group);
  const devOov = oovDocs(dev, { style: "eval", seed: OOV_EVAL_SEED });
  const keyOut = (ks: number[]) => `dev-${[...ks].sort().join("")}`;
  const { bias, data, threshold } = SPAN_SETTING;
  const preds = MIN_WEIGHTS.map(() => ({ orig: new Map<string, Pred[]>(), oov: new Map<string, Pred[]>() }));
  const cpu = MIN_WEIGHTS.map(() => [] as number[]);
  const sizes = MIN_WEIGHTS.map(() => ({ f: 0, e: 0 }));
  for (let k = 1; k <= 4; k++) {
    const trainNotes = dev.filter((d) => fold(d) !== k);
    const outer = taggerOn(trainNotes, keyOut([k]));
    const others = [1, 2, 3, 4].filter((j) => j !== k);
    const ex = oofExamples(trainNotes, fold, others, bias, data, (j) => keyOut([k, j]));
    const { model: clf } = trainSpanClassifier(ex, { proposerBias: bias });
    const test: ["orig" | "oov", Doc, Candidate[]][] = [];
    for (const d of dev) if (fold(d) === k) test.push(["orig", d, rulesOnly.candidates(d.text, "prose")]);
    for (const d of devOov) if (fold(d) === k) test.push(["oov", d, rulesOnly.candidates(d.text, "prose")]);
    const models = MIN_WEIGHTS.map((mw) => prune(outer, mw));
    models.forEach((m, i) => {
      sizes[i]!.f += m.header.features / 4;
      sizes[i]!.e += m.header.entries / 4;
    });
    for (let round = 0; round < 3; round++)
      models.forEach((m, i) => {
        const t0 = process.cpuUsage();
        for (const [, d, r] of test) proposeSpans(m, d.text, r, bias);
        const c = process.cpuUsage(t0);
        cpu[i]!.push((c.user + c.system) / 1e6);
      });
    models.forEach((m, i) => {
      for (const [v, d, r] of test) {
        const kept = proposeSpans(m, d.text, r, bias).filter((p) => spanProbability(clf, p) >= threshold);
        preds[i]![v].set(d.id, predsOf(d.text, combine(r, kept)));
      }
    });
  }
  const f3 = (x: number) => x.toFixed(3);
  console.log(
    "| min \\|w\\| | features (mean of folds) | weights | P | R | F1 | OOV P | OOV R | OOV F1 | tagger stage CPU s (sum of folds, median of 3 rounds) |",
  );
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  MIN_WEIGHTS.forEach((mw, i) => {
    const o = evaluate(dev, (d) => preds[i]!.orig.get(d.id)!, PHYSIONET_MAP).overlap;
    const v = evaluate(devOov, (d) => preds[i]!.oov.get(d.id)!, PHYSIONET_MAP).overlap;
    // rounds of each fold summed, then the median round
    const perRound = [0, 1, 2].map((r) => cpu[i]!.filter((_, j) => j % 3 === r).reduce((a, b) => a + b, 0));
    perRound.sort((a, b) => a - b);
    console.log(
      `| ${mw === 0 ? "as trained (0.01)" : mw} | ${sizes[i]!.f.toFixed(0)} | ${sizes[i]!.e.toFixed(0)} | ${f3(o.p)} | ${f3(o.r)} | ${f3(o.f1)} | ${f3(v.p)} | ${f3(v.r)} | ${f3(v.f1)} | ${perRound[1]!.toFixed(2)} |`,
    );
  });
}

main();
