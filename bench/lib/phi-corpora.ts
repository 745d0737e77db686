// Loaders and scoring for the PHI benchmark corpora in ../shared/testdata/phi (read their README).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sharedDir } from "./shared-dir.mjs";

/** The shared data folder (bench/lib/shared-dir.mjs: GITOPS_HEALTH_SHARED, ../shared, or next to the main checkout). */
export const SHARED = sharedDir(fileURLToPath(new URL("../..", import.meta.url)));

export interface Span {
  start: number;
  end: number;
  type: string;
}
export interface Doc {
  id: string;
  text: string;
  gold: Span[];
  group: string;
}

/** PhysioNet deid: latin-1 records; body offsets; spans from id-phi.phrase. */
export function loadPhysionet(): Doc[] {
  const dir = join(SHARED, "testdata", "phi", "physionet-deid");
  const raw = readFileSync(join(dir, "id.text")).toString("latin1");
  const docs = new Map<string, Doc>();
  const re = /START_OF_RECORD=(\d+)\|\|\|\|(\d+)\|\|\|\|\n([\s\S]*?)\|\|\|\|END_OF_RECORD/g;
  for (const m of raw.matchAll(re))
    docs.set(`${m[1]}-${m[2]}`, { id: `${m[1]}-${m[2]}`, text: m[3]!, gold: [], group: m[1]! });
  for (const line of readFileSync(join(dir, "id-phi.phrase")).toString("latin1").split("\n")) {
    const p = line.split(" ");
    if (p.length < 6) continue;
    const d = docs.get(`${p[0]}-${p[1]}`);
    if (d) d.gold.push({ start: Number(p[2]), end: Number(p[3]), type: p[4]! });
  }
  return [...docs.values()];
}

export function loadPresidio(): Doc[] {
  const file = join(SHARED, "testdata", "phi", "presidio-synth", "synth_dataset_v2.json");
  const data = JSON.parse(readFileSync(file, "utf8")) as {
    full_text: string;
    spans: { entity_type: string; start_position: number; end_position: number }[];
  }[];
  return data.map((d, i) => ({
    id: String(i),
    text: d.full_text,
    gold: d.spans.map((s) => ({ start: s.start_position, end: s.end_position, type: s.entity_type })),
    group: String(i),
  }));
}

/** Gold type → comparable category (undefined: not scored). */
export const PHYSIONET_MAP: Record<string, string | undefined> = {
  HCPName: "name",
  PTName: "name",
  RelativeProxyName: "name",
  PTNameInitial: "name",
  Date: "date",
  DateYear: undefined,
  Location: "location",
  Phone: "phone",
  Age: "age",
  Other: "other",
};
export const PRESIDIO_MAP: Record<string, string | undefined> = {
  PERSON: "name",
  STREET_ADDRESS: "location",
  GPE: "location",
  ZIP_CODE: "location",
  DATE_TIME: "date",
  PHONE_NUMBER: "phone",
  AGE: "age",
  EMAIL_ADDRESS: "email",
  US_SSN: "ssn",
  CREDIT_CARD: "account",
  IBAN_CODE: "account",
  IP_ADDRESS: "ip-address",
  US_DRIVER_LICENSE: "license",
  ORGANIZATION: undefined,
  TITLE: undefined,
  NRP: undefined,
  URL: "url",
  US_BANK_NUMBER: "account",
  US_PASSPORT: "license",
};

export interface Scores {
  tp: number;
  fp: number;
  fn: number;
  p: number;
  r: number;
  f1: number;
  f2: number;
}
export function score(tp: number, fp: number, fn: number): Scores {
  const p = tp + fp ? tp / (tp + fp) : 0;
  const r = tp + fn ? tp / (tp + fn) : 0;
  const f = (b: number) => (p + r ? ((1 + b * b) * p * r) / (b * b * p + r) : 0);
  return { tp, fp, fn, p, r, f1: f(1), f2: f(2) };
}

export interface Pred {
  start: number;
  end: number;
  category: string;
}

/**
 * (a) overlap rule: a gold span is found when any prediction overlaps it; a prediction is
 *     correct when it overlaps any scored gold span. Predictions that only overlap unscored
 *     gold spans (e.g. bare years) are ignored, neither right nor wrong.
 * (b) strict: same category and IoU >= 0.7, one-to-one.
 */
export function evaluate(docs: Doc[], predict: (d: Doc) => Pred[], map: Record<string, string | undefined>) {
  const byType = new Map<string, { tp: number; fn: number }>();
  let otp = 0,
    ofp = 0,
    ofn = 0,
    stp = 0,
    sfp = 0,
    sfn = 0;
  const strictByType = new Map<string, { tp: number; fp: number; fn: number }>();
  const st = (k: string) => strictByType.get(k) ?? (strictByType.set(k, { tp: 0, fp: 0, fn: 0 }), strictByType.get(k)!);
  for (const d of docs) {
    const preds = predict(d);
    const scored = d.gold.filter((g) => map[g.type] !== undefined);
    const unscored = d.gold.filter((g) => map[g.type] === undefined);
    const ov = (a: { start: number; end: number }, b: { start: number; end: number }) =>
      a.start < b.end && b.start < a.end;
    for (const g of scored) {
      const hit = preds.some((p) => ov(p, g));
      const t = byType.get(g.type) ?? { tp: 0, fn: 0 };
      if (hit) {
        otp++;
        t.tp++;
      } else {
        ofn++;
        t.fn++;
      }
      byType.set(g.type, t);
    }
    for (const p of preds) {
      if (scored.some((g) => ov(p, g))) continue;
      if (unscored.some((g) => ov(p, g))) continue;
      ofp++;
    }
    const used = new Set<number>();
    for (const p of preds) {
      const j = scored.findIndex((g, k) => !used.has(k) && map[g.type] === p.category && iou(p, g) >= 0.7);
      if (j >= 0) {
        used.add(j);
        stp++;
        st(p.category).tp++;
      } else if (!unscored.some((g) => ov(p, g))) {
        sfp++;
        st(p.category).fp++;
      }
    }
    scored.forEach((g, k) => {
      if (!used.has(k)) {
        sfn++;
        st(map[g.type]!).fn++;
      }
    });
  }
  return { overlap: score(otp, ofp, ofn), strict: score(stp, sfp, sfn), recallByType: byType, strictByType };
}

function iou(a: { start: number; end: number }, b: { start: number; end: number }): number {
  const inter = Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
  return inter / (Math.max(a.end, b.end) - Math.min(a.start, b.start));
}

/** Our categories → comparable categories. */
export function normalizeCategory(c: string): string {
  if (["location", "city", "zip", "facility", "street-address"].includes(c)) return "location";
  return c;
}

/**
 * The scored predictions of one scan: every finding but the low-severity ones (known synthetic
 * values), its category normalised. The one reading of findings for phi-accuracy, phi-tagger and
 * the quick check, so they score the same thing.
 */
export function scoredPreds(
  findings: readonly { start: number; end: number; category: string; severity: string }[],
): Pred[] {
  return findings
    .filter((f) => f.severity !== "low")
    .map((f) => ({ start: f.start, end: f.end, category: normalizeCategory(f.category) }));
}
