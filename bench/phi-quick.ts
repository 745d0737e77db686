// Development helper (not a benchmark): accuracy of the engine on the development 2/3 of PhysioNet
// (patients whose id mod 3 != 2 here) and on presidio-synth. `node --import tsx bench/phi-quick.ts`
import {
  loadPhysionet,
  loadPresidio,
  evaluate,
  PHYSIONET_MAP,
  PRESIDIO_MAP,
  normalizeCategory,
} from "./lib/phi-corpora.js";
import { scanText } from "../src/phi/index.js";

const which = process.argv[2] ?? "all";
const pred = (d: { text: string }) =>
  scanText(d.text, { kinds: ["phi"] })
    .filter((f) => f.severity !== "low")
    .map((f) => ({ start: f.start, end: f.end, category: normalizeCategory(f.category) }));
if (which !== "presidio") {
  const docs = loadPhysionet().filter((d) => Number(d.group) % 3 !== 2);
  const r = evaluate(docs, pred, PHYSIONET_MAP);
  console.log("physionet dev overlap", fmt(r.overlap), "strict", fmt(r.strict));
  for (const [t, s] of r.recallByType) console.log("  recall", t, (s.tp / (s.tp + s.fn)).toFixed(3), s.tp + s.fn);
}
if (which !== "physionet") {
  const r = evaluate(loadPresidio(), pred, PRESIDIO_MAP);
  console.log("presidio overlap", fmt(r.overlap), "strict", fmt(r.strict));
  for (const [t, s] of r.recallByType) console.log("  recall", t, (s.tp / (s.tp + s.fn)).toFixed(3), s.tp + s.fn);
}
function fmt(s: { p: number; r: number; f1: number; fp: number }) {
  return `P ${s.p.toFixed(3)} R ${s.r.toFixed(3)} F1 ${s.f1.toFixed(3)} (fp ${s.fp})`;
}
