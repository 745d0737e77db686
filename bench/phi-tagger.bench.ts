// The statistical PHI tagger (issue 14, section 1) against the rules-only engine, in the same run.
//   PhysioNet notes split BY PATIENT into 5 folds by sha256(patient id) (bench/lib/phi-folds.ts):
//   - fold 0 is BLIND: trained on folds 1-4 (the shipped model's recipe); only aggregate scores
//     of it are written, never its errors;
//   - folds 1-4: 4-fold cross-validation (train on three, score the fourth, pooled).
//   presidio-synth is a second held-out set (never trained on): overall, plus recall on
//   lower-case names, names without a cue word, international phone numbers and address layouts.
//   Tagger cost: CPU time of the tagger alone (features + decoding) over all notes, in MB/s.
// Run: GITOPS_HEALTH_SHARED=/path/to/shared npm run bench -- phi-tagger
import { cpus, loadavg } from "node:os";
import { Scanner } from "../src/phi/scanner.js";
import { shippedModel, tagText, type TaggerModel } from "../src/phi/tagger/model.js";
import { train } from "../src/phi/tagger/train.js";
import { modelDigest } from "../src/phi/tagger/train.js";
import { readFileSync } from "node:fs";
import { packagePath } from "../src/core/paths.js";
import { MODEL_FILE } from "../src/phi/tagger/model.js";
import {
  loadPhysionet,
  loadPresidio,
  evaluate,
  PHYSIONET_MAP,
  PRESIDIO_MAP,
  scoredPreds,
  type Doc,
  type Pred,
} from "./lib/phi-corpora.js";
import { BLIND_FOLD, patientFold, trainDocs } from "./lib/phi-folds.js";
import { TRAIN_OPTIONS, shippedLabel } from "../scripts/train-phi-tagger.js";
import { writeBenchSection } from "./lib/report.js";

const physio = loadPhysionet();
const fold = new Map(physio.map((d) => [d.id, patientFold(d.group)]));
const rulesOnly = new Scanner({ tagger: false });
const ruleCands = (text: string) => rulesOnly.candidates(text, "prose");

function predictor(model: TaggerModel | false) {
  const scanner = new Scanner({ tagger: model });
  return (d: Doc): Pred[] => scoredPreds(scanner.scan(d.text, { kinds: ["phi"], profile: "prose" }));
}

const pct = (x: number) => x.toFixed(3);
type Result = ReturnType<typeof evaluate>;
function row(name: string, r: Result): string {
  return `| ${name} | ${pct(r.overlap.p)} | ${pct(r.overlap.r)} | **${pct(r.overlap.f1)}** | ${pct(r.overlap.f2)} | ${pct(r.strict.p)} | ${pct(r.strict.r)} | ${pct(r.strict.f1)} |`;
}
const HEAD =
  "| engine | overlap P | overlap R | overlap F1 | overlap F2 | strict P | strict R | strict F1 |\n| --- | --- | --- | --- | --- | --- | --- | --- |";
/** Per class: overlap recall (by gold class) and strict P/R/F1 (by category). */
function perClass(r: Result, map: Record<string, string | undefined>): string {
  const rec = new Map<string, { tp: number; fn: number }>();
  for (const [t, s] of r.recallByType) {
    const c = map[t]!;
    const x = rec.get(c) ?? { tp: 0, fn: 0 };
    x.tp += s.tp;
    x.fn += s.fn;
    rec.set(c, x);
  }
  return [...rec]
    .sort()
    .map(([c, s]) => {
      const st = r.strictByType.get(c) ?? { tp: 0, fp: 0, fn: 0 };
      const p = st.tp / Math.max(1, st.tp + st.fp);
      const rr = st.tp / Math.max(1, st.tp + st.fn);
      const f1 = p + rr ? (2 * p * rr) / (p + rr) : 0;
      return `${c} (n=${s.tp + s.fn}): overlap R ${pct(s.tp / Math.max(1, s.tp + s.fn))}, strict P ${pct(p)} R ${pct(rr)} F1 ${pct(f1)}`;
    })
    .join("; ");
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const started = load();
let md = `Load average at start ${started} (${cpus().length} cores, other engineers building and testing: CPU times, same-run comparisons).\n\n`;
md +=
  "Folds: PhysioNet patients split by `uint32(sha256(patient id)[0..4]) mod 5`, fixed before the tagger existed (bench/lib/phi-folds.ts). Fold 0 (24 patients, 279 notes) was kept **blind**: never trained on, and the detector's errors on it never printed; it no longer counts as blind (see the note after this section): the residual findings after `sanitize --mode synthetic` were read over every shared note, fold 0 included, on 2026-12-07; the model scored on it is trained on folds 1-4 exactly as the shipped weights are (`scripts/train-phi-tagger.ts`). Folds 1-4 (85 patients, 1,345 notes): 4-fold cross-validation, pooled. Same scorer as phi-accuracy (`DateYear` not scored, low-severity synthetic values not counted). `rules only` is this engine with the tagger off (`new Scanner({ tagger: false })`), run on the same notes in the same run.\n\n";

// ---- cross-validation on the development folds ----
const dev = physio.filter((d) => fold.get(d.id) !== BLIND_FOLD);
const devPreds = new Map<string, Pred[]>();
const rulePreds = new Map<string, Pred[]>();
const rulesPredict = predictor(false);
const trainCache = new Map(physio.map((d) => [d.id, trainDocs([d], ruleCands)[0]!]));
for (let k = 1; k <= 4; k++) {
  const trainSet = dev.filter((d) => fold.get(d.id) !== k).map((d) => trainCache.get(d.id)!);
  const { model } = train(trainSet, TRAIN_OPTIONS);
  const predict = predictor(model);
  for (const d of dev.filter((x) => fold.get(x.id) === k)) {
    devPreds.set(d.id, predict(d));
    rulePreds.set(d.id, rulesPredict(d));
  }
  console.error(`cv fold ${k}: trained on ${trainSet.length} notes`);
}
const cvTagger = evaluate(dev, (d) => devPreds.get(d.id)!, PHYSIONET_MAP);
const cvRules = evaluate(dev, (d) => rulePreds.get(d.id)!, PHYSIONET_MAP);
md += `### PhysioNet folds 1-4, 4-fold cross-validation (${dev.length} notes)\n\n${HEAD}\n${row("rules only", cvRules)}\n${row("rules + tagger", cvTagger)}\n\n`;
md += `Per class, rules only: ${perClass(cvRules, PHYSIONET_MAP)}.\n\nPer class, rules + tagger: ${perClass(cvTagger, PHYSIONET_MAP)}.\n\n`;

// ---- fold 0 (held out from training; no longer blind) ----
const blind = physio.filter((d) => fold.get(d.id) === BLIND_FOLD);
const { model: devModel, file } = train(
  dev.map((d) => trainCache.get(d.id)!),
  { ...TRAIN_OPTIONS, trainedOn: shippedLabel(dev) },
);
const shippedSame = modelDigest(file) === modelDigest(readFileSync(packagePath("src", "phi", "model", MODEL_FILE)));
const blindTagger = evaluate(blind, predictor(devModel), PHYSIONET_MAP);
const blindRules = evaluate(blind, rulesPredict, PHYSIONET_MAP);
md += `### Headline: PhysioNet fold 0 (${blind.length} notes, ${new Set(blind.map((d) => d.group)).size} patients, never trained on; no longer blind: see below)\n\n${HEAD}\n${row("rules only", blindRules)}\n${row("rules + tagger", blindTagger)}\n\n`;
md += `Per class, rules only: ${perClass(blindRules, PHYSIONET_MAP)}.\n\nPer class, rules + tagger: ${perClass(blindTagger, PHYSIONET_MAP)}.\n\n`;
md += `The model scored here is the one trained in this run on folds 1-4; it is ${shippedSame ? "byte-identical (same weights digest) to" : "**not** identical to (retrain with scripts/train-phi-tagger.ts)"} the shipped src/phi/model/${MODEL_FILE}.\n\n`;
const met = blindTagger.overlap.r >= 0.95 && blindTagger.overlap.p >= 0.85;
md += `Target (issue 14): on unseen notes overlap R ≥ 0.95 at P ≥ 0.85. Fold 0 (held out from training, no longer blind), rules + tagger: R ${pct(blindTagger.overlap.r)} P ${pct(blindTagger.overlap.p)} (rules only R ${pct(blindRules.overlap.r)} P ${pct(blindRules.overlap.p)}): **${met ? "met on this fold, which does not show the target is met on unseen notes" : "not met"}**. How far to trust it: fold 0 is blind for the tagger only. The rules were written while reading the errors of every shared note (both thirds, see phi-accuracy), fold 0 included, so rules only is optimistic here, and the tagger, whose value is in what the rules miss, has little left to add on these notes; the issue's unseen-notes figure (R 0.855 P 0.864) comes from the held-back notes that are not in ../shared. The fold is small (${blindTagger.overlap.tp + blindTagger.overlap.fn} scored spans): one span is ${pct(1 / Math.max(1, blindTagger.overlap.tp + blindTagger.overlap.fn))} of recall.\n\n`;

// ---- presidio-synth, second held-out set ----
const presidio = loadPresidio();
const shipped = shippedModel();
const presTagger = new Map(presidio.map((d) => [d.id, predictor(shipped)(d)]));
const presRules = new Map(presidio.map((d) => [d.id, rulesPredict(d)]));
const pt = evaluate(presidio, (d) => presTagger.get(d.id)!, PRESIDIO_MAP);
const pr = evaluate(presidio, (d) => presRules.get(d.id)!, PRESIDIO_MAP);
/** Recall (overlap) on the gold spans a predicate selects. */
function recallOn(preds: Map<string, Pred[]>, pick: (d: Doc, g: Doc["gold"][number]) => boolean): string {
  let tp = 0;
  let n = 0;
  for (const d of presidio)
    for (const g of d.gold) {
      if (!pick(d, g)) continue;
      n++;
      if (preds.get(d.id)!.some((p) => p.start < g.end && g.start < p.end)) tp++;
    }
  return `${pct(tp / Math.max(1, n))} (n=${n})`;
}
const CUE =
  /\b(?:mr|mrs|ms|miss|dr|prof|sir|madam|dear|name|named|called|by|from|to|with|and|signed|patient|pt|son|daughter|wife|husband|mother|father|brother|sister|friend|contact)\W*$/i;
const slices: [string, (d: Doc, g: Doc["gold"][number]) => boolean][] = [
  [
    "lower-case names",
    (d, g) => g.type === "PERSON" && d.text.slice(g.start, g.end) === d.text.slice(g.start, g.end).toLowerCase(),
  ],
  [
    "names without a cue word before them",
    (d, g) => g.type === "PERSON" && !CUE.test(d.text.slice(Math.max(0, g.start - 30), g.start)),
  ],
  [
    "international phone numbers (+ or 00 prefix, or not 10 US digits)",
    (d, g) => {
      if (g.type !== "PHONE_NUMBER") return false;
      const v = d.text.slice(g.start, g.end);
      return /^\s*(?:\+|00)/.test(v) || v.replace(/\D/g, "").replace(/^1/, "").length !== 10;
    },
  ],
  [
    "street addresses spanning lines or without a US state",
    (d, g) => {
      if (g.type !== "STREET_ADDRESS") return false;
      const v = d.text.slice(g.start, g.end);
      return v.includes("\n") || !/\b[A-Z]{2}\b\s*\d{5}/.test(v);
    },
  ],
];
md += `### presidio-synth (1,500 sentences; second held-out set, never trained on)\n\n${HEAD}\n${row("rules only", pr)}\n${row("rules + shipped tagger", pt)}\n\n`;
md += "| slice (overlap recall) | rules only | rules + tagger |\n| --- | --- | --- |\n";
for (const [name, pick] of slices) md += `| ${name} | ${recallOn(presRules, pick)} | ${recallOn(presTagger, pick)} |\n`;
md += `\nPer class, rules + tagger: ${perClass(pt, PRESIDIO_MAP)}.\n\n`;

// ---- the tagger's own cost ----
const rulesByDoc = physio.map((d) => ruleCands(d.text));
const bytes = physio.reduce((n, d) => n + Buffer.byteLength(d.text, "latin1"), 0);
tagText(shipped, physio[0]!.text, rulesByDoc[0]!); // warm-up
const cpu = (f: () => void, reps: number) => {
  const t0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) f();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1e6 / reps;
};
const tagSecs = cpu(() => physio.forEach((d, i) => tagText(shipped, d.text, rulesByDoc[i]!)), 3);
const ruleSecs = cpu(() => physio.forEach((d) => ruleCands(d.text)), 1);
md += `### Cost (all ${physio.length} notes, ${(bytes / 1e6).toFixed(2)} MB, CPU time)\n\n| stage | CPU s | MB/s per core |\n| --- | --- | --- |\n| rules and detectors (tagger off) | ${ruleSecs.toFixed(2)} | ${(bytes / 1e6 / ruleSecs).toFixed(2)} |\n| tagger alone (features + decoding) | ${tagSecs.toFixed(2)} | ${(bytes / 1e6 / tagSecs).toFixed(2)} |\n\nThe tagger adds ${pct(tagSecs / ruleSecs)}× the rules' CPU time. Shipped model: ${shipped.header.features} features, ${shipped.header.entries} weights, ${(readFileSync(packagePath("src", "phi", "model", MODEL_FILE)).length / 1024).toFixed(0)} KiB gzip. Load average at end ${load()}; re-measure on a quiet machine.\n`;
console.error(
  `blind: rules R ${pct(blindRules.overlap.r)} P ${pct(blindRules.overlap.p)}; tagger R ${pct(blindTagger.overlap.r)} P ${pct(blindTagger.overlap.p)}`,
);
writeBenchSection("phi-tagger", "GITOPS_HEALTH_SHARED=../shared npm run bench -- phi-tagger", md);
