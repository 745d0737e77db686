// The shipped default model (used when a team has not trained one): candidate structures fitted on
// the default model's training histories (DEV of bench/risk.bench.ts, pooled in time order, every
// label, as RISK_FIT_DEFAULT does), each scored cross-project on other histories' test windows
// (the newest 30% of `risk eval`'s split, every label) against lines added (LA) alone.
//   node --import tsx bench/risk-default.ts CACHEDIR repo1,repo2 [candidate;candidate...] [--write NAME]
// Datasets come from bench/risk-ab-cache.ts; CACHEDIR must hold the DEV histories too.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SENSITIVITY, type FeatureName } from "../src/risk/features.js";
import { fitDefaultModel, insufficientLabels, timeSplit, train, usable, type Dataset } from "../src/risk/index.js";
import { auc, aucInterval, blendWithLA, MODEL_FEATURES, predict, type RiskModel } from "../src/risk/model.js";
import { delong } from "./risk-stats.js";

const args = process.argv.slice(2);
const w = args.indexOf("--write");
const write = w >= 0 ? args.splice(w, 2)[1] : undefined;
const [dir, list, only] = args;
export const DEV = ["commitlint", "semantic-release", "conventional-changelog"];

const load = (r: string): Dataset => {
  const ds = JSON.parse(readFileSync(join(dir!, `${r}.json`), "utf8")) as Dataset;
  ds.fixedAt = ds.fixedAt.map((t) => (t >= 1e300 ? Infinity : t));
  ds.labelledFrom = ds.labelledFrom <= -1e300 ? -Infinity : ds.labelledFrom;
  return ds;
};
const pooled = DEV.flatMap((r) => {
  const ds = load(r);
  return usable(ds).map((i) => ({ c: ds.commits[i]!, y: ds.labels[i]! }));
}).sort((a, b) => a.c.time - b.c.time);
const pc = pooled.map((p) => p.c);
const py = pooled.map((p) => p.y);
const fitOn = (features: FeatureName[], anchor = false) => train(pc, py, features, { anchor });

const SENS = [...SENSITIVITY] as FeatureName[];
const candidates: Record<string, () => RiskModel> = {
  shipped: () => JSON.parse(readFileSync(new URL("../src/risk/default-model.json", import.meta.url), "utf8")),
  // an earlier default model file to compare with (RISK_DEFAULT_BEFORE=path)
  ...(process.env.RISK_DEFAULT_BEFORE
    ? { before: () => JSON.parse(readFileSync(process.env.RISK_DEFAULT_BEFORE!, "utf8")) as RiskModel }
    : {}),
  full: () => fitOn(MODEL_FEATURES),
  "full anchored": () => fitOn(MODEL_FEATURES, true),
  LA: () => fitOn(["LA"]),
  "LA+sens": () => fitOn(["LA", ...SENS]),
  "LA+FIX+sens": () => fitOn(["LA", "FIX", ...SENS]),
  "LA+LD+sens": () => fitOn(["LA", "LD", ...SENS]),
  "LA+FIX+LD+sens": () => fitOn(["LA", "FIX", "LD", ...SENS]),
  "full shrunk .1": () => blendWithLA(fitOn(MODEL_FEATURES), fitOn(["LA"]), 0.1),
  // what the bench writes with --write chosen (and RISK_FIT_DEFAULT=1 in risk.bench.ts): fitDefaultModel
  chosen: () => fitDefaultModel(pc, py),
  "full shrunk .25": () => blendWithLA(fitOn(MODEL_FEATURES), fitOn(["LA"]), 0.25),
  "full shrunk .5": () => blendWithLA(fitOn(MODEL_FEATURES), fitOn(["LA"]), 0.5),
};

const models = new Map<string, RiskModel>();
for (const [name, make] of Object.entries(candidates)) {
  if (only && name !== "LA" && !only.split(";").includes(name)) continue;
  const m = make();
  models.set(name, m);
  const coefs = m.features.map((f, j) => `${f} ${m.coef[j]!.toFixed(2)}`).join(", ");
  console.log(`${name}: L2 ${m.lambda}${m.anchor ? `, alpha ${m.anchor.alpha}` : ""}; ${coefs}`);
}
if (write) {
  const m = models.get(write);
  if (!m) throw new Error(`--write: no candidate ${write}`);
  const out = { ...m, trainedOn: { ...m.trainedOn!, repository: DEV.join(",") } };
  writeFileSync(new URL("../src/risk/default-model.json", import.meta.url), JSON.stringify(out, null, 2) + "\n");
  console.log(`wrote src/risk/default-model.json (${write})`);
}

for (const r of list ? list.split(",") : []) {
  const ds = load(r);
  const { trI, teI } = timeSplit(ds);
  const teC = teI.map((i) => ds.commits[i]!);
  const teY = teI.map((i) => ds.labels[i]!);
  const pos = teY.reduce((a, b) => a + b, 0);
  const trainBuggy = trI.reduce((a, i) => a + ds.labels[i]!, 0);
  console.log(`${r}: test ${teC.length} (${pos} bug-introducing)`);
  const short = insufficientLabels(trainBuggy, pos);
  if (short) {
    console.log(`  ${short}`);
    continue;
  }
  const la = teC.map((c) => c.values.LA);
  for (const [name, m] of models) {
    const s = teC.map((c) => predict(m, c.values).p);
    const a = auc(s, teY);
    const [lo, hi] = aucInterval(a, pos, teY.length - pos);
    const d = delong(s, la, teY);
    console.log(
      `  ${name.padEnd(16)} AUC ${a.toFixed(3)} (${lo.toFixed(2)}–${hi.toFixed(2)})  vs LA ${d.diff >= 0 ? "+" : ""}${d.diff.toFixed(3)} (p ${d.p.toFixed(2)})`,
    );
  }
}
