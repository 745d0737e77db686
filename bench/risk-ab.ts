// A/B of risk feature sets on cached SZZ-labelled datasets (bench/risk-ab-cache.ts): the same
// labels, the same time-ordered split and training procedure as `risk eval`, different features.
//   node --import tsx bench/risk-ab.ts CACHEDIR repo1,repo2 [variant;variant...]
// Variants tried while choosing (development histories only): counts and recency-weighted counts
// of prior fixes and of known bug-introducing changes of the touched files (PF, PFR, PBUG, PBUGR),
// their shares (PFS, PBR), the author's fix share (AFIX), relative churn (RLA = LA/LT, RLD = LD/LT),
// lines added weighted by each file's fix or bug history (LAH, LAFR, LABR), (log LA)^2 and LA x FIX,
// and leaving out training commits younger than the median time-to-fix (verification latency).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { timeSplit, train, type Dataset } from "../src/risk/index.js";
import { auc, aucInterval, MODEL_FEATURES, predict } from "../src/risk/model.js";
import { isNonSource, type FeatureName } from "../src/risk/features.js";

/** The shipped features (Kamei without the redundant ones, sensitivity). */
const BEFORE = MODEL_FEATURES;

const [dir, list, only] = process.argv.slice(2);
const YEAR = 365 * 86400;
type V = Record<string, number>;

/** History-of-defects features, computed in time order from what was known at each commit. */
function addHistory(ds: Dataset): number {
  let mismatch = 0;
  const fileCommits = new Map<string, number[]>(); // earlier commit indices touching the file
  const authorAll = new Map<string, number>();
  const authorFix = new Map<string, number>();
  ds.commits.forEach((c, i) => {
    const v = c.values as unknown as V;
    const src = c.files.filter((f) => !f.binary && !isNonSource(f.path)).map((f) => f.path);
    const prior = new Set<number>();
    for (const p of src) for (const j of fileCommits.get(p) ?? []) prior.add(j);
    let pf = 0,
      pfr = 0,
      pbug = 0,
      pbugr = 0;
    for (const j of prior) {
      const cj = ds.commits[j]!;
      const w = 1 / ((c.time - cj.time) / YEAR + 1);
      if (cj.values.FIX) {
        pf++;
        pfr += w;
      }
      // known bug-introducing at commit time: its (earliest) fix was committed before this commit
      if (ds.fixedAt[j]! < c.time) {
        pbug++;
        pbugr += w;
      }
    }
    // per-file exposure: lines added to each file weighted by that file's own defect history
    let lah = 0,
      lafr = 0,
      labr = 0;
    for (const f of c.files) {
      if (f.binary || isNonSource(f.path)) continue;
      const js = fileCommits.get(f.path) ?? [];
      let fx = 0,
        bg = 0;
      for (const j of js) {
        if (ds.commits[j]!.values.FIX) fx++;
        if (ds.fixedAt[j]! < c.time) bg++;
      }
      if (fx) lah += f.added;
      lafr += f.added * ((fx + 1) / (js.length + 2));
      labr += f.added * ((bg + 1) / (js.length + 2));
    }
    v.LAH = lah;
    v.LA2 = Math.expm1(Math.log1p(c.values.LA) ** 2);
    v.LAXF = Math.expm1(Math.log1p(c.values.LA) * c.values.FIX);
    v.LAFR = lafr;
    v.LABR = labr;
    const n = prior.size;
    v.PF = pf;
    v.PFR = pfr;
    const given = [v.PFS, v.AFIX];
    v.PFS = n ? pf / n : 0;
    v.PBUG = pbug;
    v.PBUGR = pbugr;
    v.PBR = n ? pbug / n : 0;
    const ea = authorAll.get(c.author) ?? 0;
    v.AFIX = ea ? (authorFix.get(c.author) ?? 0) / ea : 0;
    if (given[0] !== undefined && (Math.abs(given[0] - v.PFS) > 1e-9 || Math.abs(given[1]! - v.AFIX) > 1e-9))
      mismatch++;
    v.RLA = c.values.LT ? c.values.LA / c.values.LT : c.values.LA > 0 ? 1 : 0;
    v.RLD = c.values.LT ? c.values.LD / c.values.LT : 0;
    for (const p of src) {
      const a = fileCommits.get(p) ?? [];
      a.push(i);
      fileCommits.set(p, a);
    }
    authorAll.set(c.author, ea + 1);
    if (c.values.FIX) authorFix.set(c.author, (authorFix.get(c.author) ?? 0) + 1);
  });
  return mismatch;
}

const variants: Record<string, string[]> = {
  "shipped (Kamei + sensitivity)": BEFORE,
  "+PF": [...BEFORE, "PF"],
  "+PFR": [...BEFORE, "PFR"],
  "+PFS": [...BEFORE, "PFS"],
  "+PBUG": [...BEFORE, "PBUG"],
  "+PBUGR": [...BEFORE, "PBUGR"],
  "+PBR": [...BEFORE, "PBR"],
  "+AFIX": [...BEFORE, "AFIX"],
  "+RLA,RLD": [...BEFORE, "RLA", "RLD"],
  "+PF,AFIX,RLA,RLD": [...BEFORE, "PF", "AFIX", "RLA", "RLD"],
  "+PBR,PFS,AFIX": [...BEFORE, "PBR", "PFS", "AFIX"],
  "+PFS,AFIX": [...BEFORE, "PFS", "AFIX"],
  "+LA2": [...BEFORE, "LA2"],
  "+LAXF": [...BEFORE, "LAXF"],
  "+LAH": [...BEFORE, "LAH"],
  "+LAFR": [...BEFORE, "LAFR"],
  "+LABR": [...BEFORE, "LABR"],
  "+LAFR,LABR": [...BEFORE, "LAFR", "LABR"],
  "+LAFR,PFS,AFIX": [...BEFORE, "LAFR", "PFS", "AFIX"],
  "+all": [...BEFORE, "PF", "PFS", "PBUG", "PBR", "AFIX", "RLA", "RLD"],
};
for (const r of list!.split(",")) {
  const ds = JSON.parse(readFileSync(join(dir!, `${r}.json`), "utf8")) as Dataset;
  ds.fixedAt = ds.fixedAt.map((t) => (t >= 1e300 ? Infinity : t));
  ds.labelledFrom = ds.labelledFrom <= -1e300 ? -Infinity : ds.labelledFrom;
  const mismatch = addHistory(ds);
  if (mismatch) console.log(`  PFS/AFIX of src/risk/features.ts differ from this script's on ${mismatch} commits`);
  const { trI, teI, known } = timeSplit(ds);
  const trC = trI.map((i) => ds.commits[i]!);
  const trY = trI.map((i): number => (ds.labels[i] && ds.fixedAt[i]! <= known ? 1 : 0));
  // verification latency (Cabral et al. 2019): a training commit younger than the typical
  // time-to-fix at the split has had no chance to be labelled; leave those out as "not yet known"
  const lat = trI
    .filter((i) => ds.labels[i] && ds.fixedAt[i]! <= known)
    .map((i) => ds.fixedAt[i]! - ds.commits[i]!.time)
    .sort((a, b) => a - b);
  const q = Number(process.env.RISK_WAIT_Q ?? 0.5);
  const wait = lat.length ? lat[Math.floor(q * (lat.length - 1))]! : 0;
  const matureI = trI.filter((i) => ds.commits[i]!.time <= known - wait);
  const mC = matureI.map((i) => ds.commits[i]!);
  const mY = matureI.map((i): number => (ds.labels[i] && ds.fixedAt[i]! <= known ? 1 : 0));
  const teC = teI.map((i) => ds.commits[i]!);
  const teY = teI.map((i) => ds.labels[i]!);
  const pos = teY.reduce((a, b) => a + b, 0);
  // single-feature AUCs on the test window (direction-free), for orientation
  const single = [
    "LA",
    "PF",
    "PFR",
    "PFS",
    "PBUG",
    "PBUGR",
    "PBR",
    "AFIX",
    "RLA",
    "RLD",
    "NUC",
    "NDEV",
    "LAH",
    "LAFR",
    "LABR",
  ].map(
    (f) =>
      `${f} ${auc(
        teC.map((c) => (c.values as unknown as V)[f]!),
        teY,
      ).toFixed(3)}`,
  );
  console.log(`${r}: train ${trC.length} (${trY.reduce((a, b) => a + b, 0)}) test ${teC.length} (${pos})`);
  console.log("  single-feature test AUC:", single.join(", "));
  for (const [name, feats] of Object.entries(variants)) {
    if (only && !only.split(";").includes(name)) continue;
    const m = train(trC, trY, feats as FeatureName[]);
    const a = auc(
      teC.map((c) => predict(m, c.values).p),
      teY,
    );
    const mw = train(mC, mY, feats as FeatureName[]);
    const aw = auc(
      teC.map((c) => predict(mw, c.values).p),
      teY,
    );
    console.log(
      `  ${name.padEnd(18)} waiting ${(wait / 86400).toFixed(0)} d, ${mC.length} mature (${mY.reduce((x, y) => x + y, 0)}): AUC ${aw.toFixed(3)} L2 ${mw.lambda}`,
    );
    const [lo, hi] = aucInterval(a, pos, teY.length - pos);
    const coef = m.features.map((f, j) => `${f}:${m.coef[j]!.toFixed(2)}`).join(" ");
    console.log(
      `  ${name.padEnd(18)} AUC ${a.toFixed(3)} (${lo.toFixed(2)}–${hi.toFixed(2)}) L2 ${m.lambda}  ${name.startsWith("shipped") || name.startsWith("+all") ? coef : ""}`,
    );
  }
  const b = train(trC, trY, ["LA"]);
  console.log(
    `  ${"LA baseline".padEnd(18)} AUC ${auc(
      teC.map((c) => predict(b, c.values).p),
      teY,
    ).toFixed(3)}`,
  );
  const bw = train(mC, mY, ["LA"]);
  console.log(
    `  ${"LA baseline mature".padEnd(18)} AUC ${auc(
      teC.map((c) => predict(bw, c.values).p),
      teY,
    ).toFixed(3)}`,
  );
}
