// The statistical PHI tagger (issue 14, section 1) against the rules-only engine, in the same run.
//   PhysioNet notes split BY PATIENT into 5 folds by sha256(patient id) (bench/lib/phi-folds.ts):
//   - fold 0 is BLIND: trained on folds 1-4 (the shipped model's recipe); only aggregate scores
//     of it are written, never its errors;
//   - folds 1-4: 4-fold cross-validation (train on three, score the fourth, pooled).
//   Every PhysioNet figure is given on the notes as they are and on their OOV transform
//   (bench/lib/phi-oov.ts: gold names and places replaced by made-up values no lexicon holds).
//   Engines: rules only; rules + the tagger of the previous shipped recipe (PREVIOUS_OPTIONS, union);
//   rules + the tagger of the H6b candidate recipe (CANDIDATE_OPTIONS, union at bias 5); the shipped
//   engine: the same tagger's weights (TRAIN_OPTIONS) at bias 0 and the span classifier deciding on its
//   spans (src/phi/tagger/spans.ts, trained on out-of-fold proposals: bench/lib/phi-span-cv.ts).
//   presidio-synth is a second held-out set (never trained on): overall, plus recall on
//   lower-case names, names without a cue word, international phone numbers and address layouts.
//   Tagger cost: CPU time of the tagger alone (features + decoding) over all notes, in MB/s.
// Run: GITOPS_HEALTH_SHARED=/path/to/shared npm run bench -- phi-tagger
import { cpus, loadavg } from "node:os";
import { Scanner } from "../src/phi/scanner.js";
import { shippedModel, type TaggerModel } from "../src/phi/tagger/model.js";
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
import { BLIND_FOLD, patientFold, recipeDocs } from "./lib/phi-folds.js";
import { OOV_EVAL_SEED, oovDocs } from "./lib/phi-oov.js";
import {
  CANDIDATE_AUGMENT,
  CANDIDATE_OPTIONS,
  PREVIOUS_OPTIONS,
  SPAN_SETTING,
  TRAIN_AUGMENT,
  TRAIN_OPTIONS,
  shippedTrainedOn,
} from "../scripts/train-phi-tagger.js";
import { oofExamples } from "./lib/phi-span-cv.js";
import {
  SPAN_MODEL_FILE,
  shippedSpanClassifier,
  spanClassifierDigest,
  tagAndDecide,
  trainSpanClassifier,
  type SpanClassifier,
} from "../src/phi/tagger/spans.js";
import { writeBenchSection } from "./lib/report.js";

const physio = loadPhysionet();
const fold = new Map(physio.map((d) => [d.id, patientFold(d.group)]));
const rulesOnly = new Scanner({ tagger: false });
const ruleCands = (text: string) => rulesOnly.candidates(text, "prose");

function predictor(model: TaggerModel | boolean, spanClassifier?: SpanClassifier) {
  const scanner = new Scanner({ tagger: model, spanClassifier: spanClassifier ?? false });
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
const blind = physio.filter((d) => fold.get(d.id) === BLIND_FOLD);
const rulesPredict = predictor(false);
const oovOf = new Map(oovDocs(physio, { style: "eval", seed: OOV_EVAL_SEED }).map((d) => [d.id, d]));
const ENGINES = [
  "rules only",
  "rules + previous tagger (union)",
  "rules + H6b candidate tagger (union, bias 5)",
  "rules + tagger + span classifier (shipped)",
] as const;
const fold1 = (d: Doc) => fold.get(d.id)!;
/** The span classifier trained on out-of-fold proposals of `notes` (folds `folds`), as the shipped one. */
function spanClassifierOn(notes: Doc[], folds: number[], key: (j: number) => string, trainedOn?: string) {
  const ex = oofExamples(notes, fold1, folds, SPAN_SETTING.bias, SPAN_SETTING.data, key);
  return trainSpanClassifier(ex, {
    proposerBias: SPAN_SETTING.bias,
    threshold: SPAN_SETTING.threshold,
    thresholdLower: SPAN_SETTING.thresholdLower,
    propagate: SPAN_SETTING.propagate,
    ...(trainedOn ? { trainedOn: `${trainedOn}: out-of-fold proposals (${ex.length} spans)` } : {}),
  });
}
const withBias = (m: TaggerModel, bias: number): TaggerModel => ({ ...m, header: { ...m.header, bias } });
/** Predictions per engine, on the original notes and on their OOV transform. */
const cvPreds = ENGINES.map(() => ({ orig: new Map<string, Pred[]>(), oov: new Map<string, Pred[]>() }));
const recipes = [
  { options: PREVIOUS_OPTIONS, augment: 0 },
  { options: TRAIN_OPTIONS, augment: TRAIN_AUGMENT },
];
for (let k = 1; k <= 4; k++) {
  const trainNotes = dev.filter((d) => fold.get(d.id) !== k);
  const test = dev.filter((d) => fold.get(d.id) === k);
  const [prev, cur] = recipes.map((r) => train(recipeDocs(trainNotes, r.augment, ruleCands), r.options).model);
  const clf = spanClassifierOn(
    trainNotes,
    [1, 2, 3, 4].filter((j) => j !== k),
    (j) => `dev-${[k, j].sort().join("")}`,
  ).model;
  const predictors = [
    rulesPredict,
    predictor(prev!),
    predictor(withBias(cur!, CANDIDATE_OPTIONS.bias!)),
    predictor(cur!, clf),
  ];
  predictors.forEach((p, e) => {
    for (const d of test) {
      cvPreds[e]!.orig.set(d.id, p(d));
      cvPreds[e]!.oov.set(d.id, p(oovOf.get(d.id)!));
    }
  });
  console.error(`cv fold ${k}: trained on ${trainNotes.length} notes`);
}
const devOov = dev.map((d) => oovOf.get(d.id)!);
function table(title: string, notes: Doc[], oov: Doc[], preds: typeof cvPreds): [string, Result[], Result[]] {
  const orig = preds.map((p) => evaluate(notes, (d) => p.orig.get(d.id)!, PHYSIONET_MAP));
  const tr = preds.map((p) => evaluate(oov, (d) => p.oov.get(d.id)!, PHYSIONET_MAP));
  let out = `${title}\n\n${HEAD}\n`;
  ENGINES.forEach((e, i) => (out += `${row(e, orig[i]!)}\n`));
  ENGINES.forEach((e, i) => (out += `${row(`${e}, OOV`, tr[i]!)}\n`));
  out += "\n";
  ENGINES.forEach((e, i) => (out += `Per class, ${e}: ${perClass(orig[i]!, PHYSIONET_MAP)}.\n\n`));
  ENGINES.forEach((e, i) => (out += `Per class, ${e}, OOV: ${perClass(tr[i]!, PHYSIONET_MAP)}.\n\n`));
  return [out, orig, tr];
}
md +=
  "OOV: the same notes with every gold name and place replaced by a made-up value that no lexicon the engine ships holds (bench/lib/phi-oov.ts, `eval` generator, seed " +
  OOV_EVAL_SEED +
  '; places keep their suffix words, as "Memorial" or "Hospital", in one half and lose them in the other), offsets moved: what the engine does on surrogate names and places it has never seen. The candidate recipe (chosen by 4-fold CV on folds 1-4, bench/lib/phi-tagger-cv.ts, its decoding bias fixed from the CV table before fold 0 and presidio-synth were scored; the ship decision is in the subsections after this section) trains on the originals plus ' +
  CANDIDATE_AUGMENT +
  " OOV cop" +
  (CANDIDATE_AUGMENT === 1 ? "y" : "ies") +
  ` of each training note made by a different generator (\`train\`: splices of the training notes' own gold words), with lexicon dropout ${CANDIDATE_OPTIONS.lexDropout}, rule dropout ${CANDIDATE_OPTIONS.ruleDropout}${CANDIDATE_OPTIONS.ruleDropoutCategories ? " of the name and place detections only" : ""} and decoding bias ${CANDIDATE_OPTIONS.bias} (scripts/train-phi-tagger.ts \`--candidate\`); the previous shipped recipe has no augmentation, no lexicon dropout, rule dropout ${PREVIOUS_OPTIONS.ruleDropout}, bias ${PREVIOUS_OPTIONS.bias}. The shipped engine (since h2) uses the candidate recipe's weights at bias ${SPAN_SETTING.bias} and lets a span classifier (src/phi/tagger/spans.ts) keep each span the tagger adds when its P(PHI) ≥ ${SPAN_SETTING.threshold}; the classifier is trained on out-of-fold proposals (taggers trained on the other training folds propose on each one, notes and an OOV copy by the \`train\` generator; in CV, nested inside the training folds).\n\n`;
const [cvMd] = table(`### PhysioNet folds 1-4, 4-fold cross-validation (${dev.length} notes)`, dev, devOov, cvPreds);
md += cvMd;

// ---- fold 0 (held out from training; no longer blind) ----
const blindPreds = ENGINES.map(() => ({ orig: new Map<string, Pred[]>(), oov: new Map<string, Pred[]>() }));
const devModels = recipes.map((r, i) =>
  train(recipeDocs(dev, r.augment, ruleCands), {
    ...r.options,
    trainedOn: i === 1 ? shippedTrainedOn(dev) : undefined,
  }),
);
const devSpan = spanClassifierOn(dev, [1, 2, 3, 4], (j) => `dev-${j}`, shippedTrainedOn(dev));
const shippedSame =
  modelDigest(devModels[1]!.file) === modelDigest(readFileSync(packagePath("src", "phi", "model", MODEL_FILE))) &&
  spanClassifierDigest(devSpan.file) ===
    spanClassifierDigest(readFileSync(packagePath("src", "phi", "model", SPAN_MODEL_FILE)));
[
  rulesPredict,
  predictor(devModels[0]!.model),
  predictor(withBias(devModels[1]!.model, CANDIDATE_OPTIONS.bias!)),
  predictor(devModels[1]!.model, devSpan.model),
].forEach((p, e) => {
  for (const d of blind) {
    blindPreds[e]!.orig.set(d.id, p(d));
    blindPreds[e]!.oov.set(d.id, p(oovOf.get(d.id)!));
  }
});
const [blindMd, blindOrig, blindOov] = table(
  `### Headline: PhysioNet fold 0 (${blind.length} notes, ${new Set(blind.map((d) => d.group)).size} patients, never trained on; no longer blind: see below)`,
  blind,
  blind.map((d) => oovOf.get(d.id)!),
  blindPreds,
);
md += blindMd;
md += `The shipped engine's tagger and span classifier scored here are the ones trained in this run on folds 1-4; they are ${shippedSame ? "byte-identical (same weights digests) to" : "**not** identical to (retrain with scripts/train-phi-tagger.ts)"} the shipped src/phi/model/${MODEL_FILE} and ${SPAN_MODEL_FILE}.\n\n`;
const bt = blindOrig[3]!;
const bo = blindOov[3]!;
const ct = blindOrig[1]!;
const co = blindOov[1]!;
const met = (r: Result) => r.overlap.r >= 0.95 && r.overlap.p >= 0.85;
md += `Target (issue 14): on unseen notes overlap R ≥ 0.95 at P ≥ 0.85. Fold 0, rules + shipped tagger: R ${pct(bt.overlap.r)} P ${pct(bt.overlap.p)} on the notes as they are (rules only R ${pct(blindOrig[0]!.overlap.r)} P ${pct(blindOrig[0]!.overlap.p)}): **${met(bt) ? "met on this fold, which does not show the target is met on unseen notes" : "not met"}**; on their OOV transform R ${pct(bo.overlap.r)} P ${pct(bo.overlap.p)} (rules only R ${pct(blindOov[0]!.overlap.r)} P ${pct(blindOov[0]!.overlap.p)}): **${met(bo) ? "met" : "not met"}**. Previous tagger (union): R ${pct(ct.overlap.r)} P ${pct(ct.overlap.p)} as they are, R ${pct(co.overlap.r)} P ${pct(co.overlap.p)} on the OOV transform. How far to trust it: fold 0 is held out for the tagger only. The rules were written while reading the errors of every shared note (see phi-accuracy), fold 0 included, so the original-notes figures are optimistic; the OOV figures remove what the lexicons know about these notes' names and places (not what the rules learnt from their contexts), and are the closer estimate of the held-back notes (R 0.855 P 0.864 before the tagger). The fold is small (${bt.overlap.tp + bt.overlap.fn} scored spans): one span is ${pct(1 / Math.max(1, bt.overlap.tp + bt.overlap.fn))} of recall.\n\n`;

// ---- presidio-synth, second held-out set ----
const presidio = loadPresidio();
const shipped = shippedModel();
const shippedSpan = shippedSpanClassifier();
const presPrevious = new Map(presidio.map((d) => [d.id, predictor(devModels[0]!.model)(d)]));
const presTagger = new Map(presidio.map((d) => [d.id, predictor(true, shippedSpan)(d)]));
const presCandidate = new Map(
  presidio.map((d) => [d.id, predictor(withBias(devModels[1]!.model, CANDIDATE_OPTIONS.bias!))(d)]),
);
const presRules = new Map(presidio.map((d) => [d.id, rulesPredict(d)]));
const pt = evaluate(presidio, (d) => presTagger.get(d.id)!, PRESIDIO_MAP);
const pc = evaluate(presidio, (d) => presCandidate.get(d.id)!, PRESIDIO_MAP);
const pr = evaluate(presidio, (d) => presRules.get(d.id)!, PRESIDIO_MAP);
const pp = evaluate(presidio, (d) => presPrevious.get(d.id)!, PRESIDIO_MAP);
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
md += `### presidio-synth (1,500 sentences; second held-out set, never trained on)\n\n${HEAD}\n${row("rules only", pr)}\n${row("rules + previous tagger (union)", pp)}\n${row("rules + H6b candidate tagger (union, bias 5)", pc)}\n${row("rules + tagger + span classifier (shipped)", pt)}\n\n`;
md +=
  "| slice (overlap recall) | rules only | previous tagger | H6b candidate tagger | tagger + span classifier (shipped) |\n| --- | --- | --- | --- | --- |\n";
for (const [name, pick] of slices)
  md += `| ${name} | ${recallOn(presRules, pick)} | ${recallOn(presPrevious, pick)} | ${recallOn(presCandidate, pick)} | ${recallOn(presTagger, pick)} |\n`;
md += `\nPer class, rules + previous tagger: ${perClass(pp, PRESIDIO_MAP)}.\n\nPer class, rules + tagger + span classifier (shipped): ${perClass(pt, PRESIDIO_MAP)}.\n\n`;

// ---- the tagger's own cost ----
const rulesByDoc = physio.map((d) => ruleCands(d.text));
const bytes = physio.reduce((n, d) => n + Buffer.byteLength(d.text, "latin1"), 0);
tagAndDecide(shipped, shippedSpan, physio[0]!.text, rulesByDoc[0]!); // warm-up
const cpu = (f: () => void, reps: number) => {
  const t0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) f();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1e6 / reps;
};
const tagSecs = cpu(() => physio.forEach((d, i) => tagAndDecide(shipped, shippedSpan, d.text, rulesByDoc[i]!)), 3);
const ruleSecs = cpu(() => physio.forEach((d) => ruleCands(d.text)), 1);
md += `### Cost (all ${physio.length} notes, ${(bytes / 1e6).toFixed(2)} MB, CPU time)\n\n| stage | CPU s | MB/s per core |\n| --- | --- | --- |\n| rules and detectors (tagger off) | ${ruleSecs.toFixed(2)} | ${(bytes / 1e6 / ruleSecs).toFixed(2)} |\n| tagger and span classifier (features, decoding, span decisions) | ${tagSecs.toFixed(2)} | ${(bytes / 1e6 / tagSecs).toFixed(2)} |\n\nThe tagger and its second stage add ${pct(tagSecs / ruleSecs)}× the rules' CPU time. Shipped tagger: ${shipped.header.features} features, ${shipped.header.entries} weights, ${(readFileSync(packagePath("src", "phi", "model", MODEL_FILE)).length / 1024).toFixed(0)} KiB gzip; span classifier: ${shippedSpan.header.features} weights, ${(readFileSync(packagePath("src", "phi", "model", SPAN_MODEL_FILE)).length / 1024).toFixed(1)} KiB gzip. Load average at end ${load()}; re-measure on a quiet machine.\n`;
console.error(
  `fold 0: rules R ${pct(blindOrig[0]!.overlap.r)} P ${pct(blindOrig[0]!.overlap.p)}; shipped engine R ${pct(bt.overlap.r)} P ${pct(bt.overlap.p)}; OOV R ${pct(bo.overlap.r)} P ${pct(bo.overlap.p)}`,
);
writeBenchSection("phi-tagger", "GITOPS_HEALTH_SHARED=../shared npm run bench -- phi-tagger", md);
