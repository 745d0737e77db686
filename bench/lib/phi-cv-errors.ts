// Per-class error analysis of the prose engine on PhysioNet folds 1-4 by 4-fold cross-validation,
// original notes and their OOV transform (issue 14 §1, branch h2): the gold spans split into slices
// by shape and context (lower-case names, names after a cue or before a credential, places with or
// without a facility word, phone and date layouts), overlap recall per slice for several engines,
// and the share of misses whose word the engine found elsewhere in the same note. Folds 1-4 only:
// fold 0 is never read here. `--print` lists misses (folds 1-4, OOV transform) on stderr for the
// developer; nothing of it goes to docs.
//
//   GITOPS_HEALTH_SHARED=/work/shared npx tsx bench/lib/phi-cv-errors.ts [--print]
//
// Engines: rules only; rules + the candidate-recipe tagger's spans at decoding bias b kept when the
// span classifier (trained on out-of-fold proposals, "orig+oov") gives P(PHI) >= t (t 0: all);
// "+prop": the words of the tagger's kept names and places also found at their other mentions in
// the note (src/phi/tagger/spans.ts propagateSpans). b 0 t 0.7 is the shipped engine.
// SELECTION RULE, fixed before the first run of this script (2026-12-07, h2, 21:12 UTC): among
// the engines other than the shipped one with original-CV overlap P >= 0.95 and original-CV
// overlap F1 >= 0.957 (the shipped engine's 0.958 less 0.001), the highest OOV-CV overlap recall;
// ties by original-CV F1. If it is not above the shipped engine's OOV-CV recall, nothing is put
// before fold 0.
import { combine } from "../../src/phi/tagger/model.js";
import type { Candidate } from "../../src/phi/candidate.js";
import { proposeSpans, spanProbability, trainSpanClassifier, type SpanProposal } from "../../src/phi/tagger/spans.js";
import { propagateSpans } from "../../src/phi/tagger/spans.js";
import { loadPhysionet, PHYSIONET_MAP, scoredPreds, type Doc, type Pred, type Span } from "./phi-corpora.js";
import { BLIND_FOLD, patientFold } from "./phi-folds.js";
import { OOV_EVAL_SEED, oovDocs } from "./phi-oov.js";
import { Scanner, toFindings } from "../../src/phi/scanner.js";
import { oofExamples, taggerOn } from "./phi-span-cv.js";

const rulesOnly = new Scanner({ tagger: false });
const BIASES = [0, 5, 10, 20];
const CUE =
  /\b(dr|doctor|mr|mrs|ms|miss|nurse|rn|md|attending|resident|dad|mom|mother|father|wife|husband|son|daughter|sister|brother|pcp|by|with|to|from|at|cc|per|name)\b[.:,]?\s*$/i;
const CRED = /^[\s,]*(md|m\.d\.|rn|np|pa|pa-c|do|phd|ms|msw|lpn|pt|ot|crnp|fnp|cnm|dds|dmd)\b/i;
const FACILITY =
  /\b(hospital|medical|center|centre|clinic|rehab|rehabilitation|nursing|home|health|care|institute|university|memorial|va|vamc|unit|ward|house|manor|general|county|st|saint|house)\b/i;

function slice(d: Doc, g: Span, cls: string): string {
  const s = d.text.slice(g.start, g.end);
  const before = d.text.slice(Math.max(0, g.start - 30), g.start);
  const after = d.text.slice(g.end, g.end + 12);
  if (cls === "name") {
    if (!/\p{Lu}/u.test(s)) return "name: lower-case";
    if (/^\p{L}\.?$/u.test(s)) return "name: single initial";
    if (s === s.toUpperCase() && /\p{Lu}{2}/u.test(s)) return "name: all capitals";
    if (CUE.test(before)) return "name: after a cue word";
    if (CRED.test(after)) return "name: before a credential";
    return "name: no cue, title case";
  }
  if (cls === "location") {
    if (/^\p{Lu}{2,6}$/u.test(s.trim())) return "location: acronym";
    if (FACILITY.test(s)) return "location: with a facility word";
    return "location: no facility word";
  }
  if (cls === "phone") {
    const digits = s.replace(/\D/g, "").length;
    if (/^\(\d{3}\)\s?\d{3}[-.\s]\d{4}$/.test(s)) return "phone: (ddd) ddd-dddd";
    if (/^\d{3}[-.]\d{3}[-.]\d{4}$/.test(s)) return "phone: ddd-ddd-dddd";
    if (digits <= 5) return "phone: 4-5 digits (pager, extension)";
    if (digits === 7) return "phone: 7 digits";
    return "phone: other layout";
  }
  if (cls === "date") {
    if (/\p{L}{3}/u.test(s)) return "date: month word";
    if (/^\d+\/\d+(\/\d+)?$/.test(s)) return "date: slashes";
    if (/^\d+-\d+(-\d+)?$/.test(s)) return "date: hyphens";
    if (/^\d+$/.test(s)) return "date: no separator";
    return "date: other separators";
  }
  return cls;
}

function predsOf(text: string, cands: Candidate[]): Pred[] {
  return scoredPreds(
    toFindings(
      text,
      cands.filter((c) => c.kind === "phi"),
      {},
    ),
  );
}

interface Test {
  v: "orig" | "oov";
  d: Doc;
  resolved: Candidate[];
  props: Map<number, { p: SpanProposal; prob: number }[]>;
}

async function main(): Promise<void> {
  const print = process.argv.includes("--print");
  const physio = loadPhysionet();
  const dev = physio.filter((d) => patientFold(d.group) !== BLIND_FOLD);
  const fold = (d: Doc) => patientFold(d.group);
  const devOov = oovDocs(dev, { style: "eval", seed: OOV_EVAL_SEED });
  const keyOut = (ks: number[]) => `dev-${[...ks].sort().join("")}`;
  const tests: Test[] = [];
  const t0 = process.cpuUsage();
  for (let k = 1; k <= 4; k++) {
    const trainNotes = dev.filter((d) => fold(d) !== k);
    const outer = taggerOn(trainNotes, keyOut([k]));
    const others = [1, 2, 3, 4].filter((j) => j !== k);
    const mine: Test[] = [];
    for (const [v, docs] of [
      ["orig", dev],
      ["oov", devOov],
    ] as const)
      for (const d of docs)
        if (fold(d) === k) mine.push({ v, d, resolved: rulesOnly.candidates(d.text, "prose"), props: new Map() });
    for (const b of BIASES) {
      const ex = oofExamples(trainNotes, fold, others, b, "orig+oov", (j) => keyOut([k, j]));
      const { model: clf } = trainSpanClassifier(ex, { proposerBias: b });
      for (const t of mine)
        t.props.set(
          b,
          proposeSpans(outer, t.d.text, t.resolved, b).map((p) => ({ p, prob: spanProbability(clf, p) })),
        );
    }
    tests.push(...mine);
  }
  const cpu = process.cpuUsage(t0);
  console.error(`CV: ${((cpu.user + cpu.system) / 1e6).toFixed(0)} CPU s`);
  type Engine = [string, (t: Test) => Candidate[]];
  const isLower = (t: Test, p: SpanProposal) => !/\p{Lu}/u.test(t.d.text.slice(p.start, p.end));
  const withSpans =
    (b: number, th: number, prop: boolean, thLower = th) =>
    (t: Test) => {
      const kept = t.props
        .get(b)!
        .filter((x) => {
          const th1 = isLower(t, x.p) ? thLower : th;
          return th1 === 0 || x.prob >= th1;
        })
        .map((x) => x.p);
      const c = combine(t.resolved, kept);
      return prop ? propagateSpans(t.d.text, c) : c;
    };
  const engines: Engine[] = [["rules only", (t) => t.resolved]];
  for (const b of BIASES)
    for (const th of [0, 0.5, 0.7])
      for (const prop of [false, true]) engines.push([`b ${b} t ${th}${prop ? " +prop" : ""}`, withSpans(b, th, prop)]);
  // added after the first table (which showed lower-case names the weakest slice under OOV and the
  // classifier dropping the ones the proposer finds at a high bias): a separate threshold for
  // spans with no capital letter
  for (const b of BIASES)
    for (const th of [0.5, 0.7])
      for (const tl of [0, 0.1, 0.2, 0.3])
        for (const prop of [false, true])
          engines.push([`b ${b} t ${th} lower ${tl}${prop ? " +prop" : ""}`, withSpans(b, th, prop, tl)]);
  const rows: string[] = [];
  const sliceNames = new Set<string>();
  const results: {
    name: string;
    v: string;
    p: number;
    r: number;
    f1: number;
    bySlice: Map<string, [number, number]>;
  }[] = [];
  for (const [name, f] of engines)
    for (const v of ["orig", "oov"] as const) {
      let tp = 0,
        fp = 0,
        fn = 0;
      const bySlice = new Map<string, [number, number]>();
      for (const t of tests) {
        if (t.v !== v) continue;
        const preds = predsOf(t.d.text, f(t));
        const scored = t.d.gold.filter((g) => PHYSIONET_MAP[g.type] !== undefined);
        const unscored = t.d.gold.filter((g) => PHYSIONET_MAP[g.type] === undefined);
        const ov = (a: { start: number; end: number }, b: { start: number; end: number }) =>
          a.start < b.end && b.start < a.end;
        for (const g of scored) {
          const cls = PHYSIONET_MAP[g.type]!;
          const sl = slice(t.d, g, cls);
          sliceNames.add(sl);
          const hit = preds.some((p) => ov(p, g));
          const s = bySlice.get(sl) ?? [0, 0];
          s[0] += hit ? 1 : 0;
          s[1]++;
          bySlice.set(sl, s);
          if (hit) tp++;
          else {
            fn++;
            if (print && name === "b 0 t 0.7" && v === "oov")
              console.error(
                `MISS ${sl} | ${JSON.stringify(t.d.text.slice(Math.max(0, g.start - 40), g.start))} [[${t.d.text.slice(g.start, g.end)}]] ${JSON.stringify(t.d.text.slice(g.end, g.end + 25))}`,
              );
          }
        }
        for (const p of preds) if (!scored.some((g) => ov(p, g)) && !unscored.some((g) => ov(p, g))) fp++;
      }
      const p = tp / (tp + fp);
      const r = tp / (tp + fn);
      results.push({ name, v, p, r, f1: (2 * p * r) / (p + r), bySlice });
    }
  const f3 = (x: number) => x.toFixed(3);
  const pairs = results.flatMap((o, i) => (i % 2 === 0 ? [{ o, v: results[i + 1]! }] : []));
  const shippedRow = pairs.find((x) => x.o.name === "b 0 t 0.7")!;
  const ok = pairs
    .filter((x) => x.o.name !== "rules only" && x.o.name !== "b 0 t 0.7" && x.o.p >= 0.95 && x.o.f1 >= 0.957)
    .sort((a, b) => b.v.r - a.v.r || b.o.f1 - a.o.f1);
  const f4 = (x: number) => x.toFixed(4);
  for (const x of [shippedRow, ...ok.slice(0, 5)])
    console.error(
      `rule: ${x.o.name}: P ${f4(x.o.p)} R ${f4(x.o.r)} F1 ${f4(x.o.f1)}; OOV P ${f4(x.v.p)} R ${f4(x.v.r)} F1 ${f4(x.v.f1)}`,
    );
  rows.push("| engine | P | R | F1 | OOV P | OOV R | OOV F1 |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (let i = 0; i < results.length; i += 2) {
    const o = results[i]!;
    const v = results[i + 1]!;
    rows.push(`| ${o.name} | ${f3(o.p)} | ${f3(o.r)} | ${f3(o.f1)} | ${f3(v.p)} | ${f3(v.r)} | ${f3(v.f1)} |`);
  }
  const sl = [...sliceNames].sort();
  const show = (process.env.PHI_SLICES ?? "rules only,b 0 t 0.7,b 20 t 0").split(",");
  const pick = results.filter((r) => show.includes(r.name));
  rows.push(
    "",
    `| slice (overlap recall) | ${pick.map((r) => `${r.name}${r.v === "oov" ? ", OOV" : ""}`).join(" | ")} |`,
  );
  rows.push(`| --- |${pick.map(() => " ---: |").join("")}`);
  for (const s of sl)
    rows.push(
      `| ${s} | ${pick
        .map((r) => {
          const x = r.bySlice.get(s) ?? [0, 0];
          return `${x[1] ? f3(x[0] / x[1]) : "-"} (${x[1]})`;
        })
        .join(" | ")} |`,
    );
  console.log(rows.join("\n"));
}

void main();
