// Patient folds of the shared PhysioNet notes for the statistical PHI tagger (issue 14).
// Fixed on 2026-12-07 before any tagger ran or any error was read: a patient's fold is
// uint32(first 4 bytes of sha256(patient id as decimal text))) mod 5. Fold 0 is the BLIND fold:
// the shipped model never trains on it, and its errors are never printed or read; only its
// aggregate scores go to docs/BENCHMARKS.md. Folds 1-4 are the development folds (4-fold
// cross-validation, training of the shipped weights).
import { createHash } from "node:crypto";

export const BLIND_FOLD = 0;
export const FOLDS = 5;

export function patientFold(patient: string): number {
  return createHash("sha256").update(patient).digest().readUInt32BE(0) % FOLDS;
}

import type { Doc } from "./phi-corpora.js";
import type { Candidate } from "../../src/phi/candidate.js";
import type { TrainDoc } from "../../src/phi/tagger/train.js";
import type { TagClass } from "../../src/phi/tagger/features.js";
import { augmentSeed, oovDocs, splicePools } from "./phi-oov.js";

/** PhysioNet gold type → tagger class (bare years, ages and "Other" are not taught). */
export const TAGGER_CLASS: Record<string, TagClass | undefined> = {
  HCPName: "name",
  PTName: "name",
  RelativeProxyName: "name",
  PTNameInitial: "name",
  Location: "location",
  Date: "date",
  Phone: "phone",
};

/** Training documents: each note with the rules-only candidates (features) and its gold classes. */
export function trainDocs(docs: readonly Doc[], rules: (text: string) => Candidate[]): TrainDoc[] {
  return docs.map((d) => ({
    text: d.text,
    rules: rules(d.text),
    gold: d.gold.flatMap((g) => {
      const cls = TAGGER_CLASS[g.type];
      return cls ? [{ start: g.start, end: g.end, cls }] : [];
    }),
  }));
}

/**
 * Training documents of `notes` for a recipe: the originals, then `augment` copies with their gold
 * names and places replaced by made-up values spliced from the notes' own gold words
 * (bench/lib/phi-oov.ts, "train" generator: entity-replacement augmentation), each copy with the
 * rules' candidates on its own text.
 */
export function recipeDocs(
  docs: readonly Doc[],
  augment: number,
  rules: (text: string) => Candidate[],
  caseCopies = 0,
): TrainDoc[] {
  const out = trainDocs(docs, rules);
  if (augment > 0 || caseCopies > 0) {
    const pools = splicePools(docs);
    for (let c = 0; c < augment; c++)
      out.push(...trainDocs(oovDocs(docs, { style: "train", seed: augmentSeed(c), pools }), rules));
    // case augmentation: further OOV copies written all in lower case (even notes) or all in
    // capitals (odd notes), so names and places are also learnt from their context where the
    // case says nothing (notes typed in one case)
    for (let c = 0; c < caseCopies; c++)
      out.push(
        ...trainDocs(
          oovDocs(docs, { style: "train", seed: augmentSeed(100 + c), pools }).map((d, i) => ({
            ...d,
            text: recase(d.text, (i + c) % 2 === 0),
          })),
          rules,
        ),
      );
  }
  return out;
}

/** The text in lower case or in capitals, where that keeps every offset (else as it is). */
function recase(text: string, lower: boolean): string {
  const t = lower ? text.toLowerCase() : text.toUpperCase();
  return t.length === text.length ? t : text;
}
