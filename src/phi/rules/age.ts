import { fromRuns, sortUnique, type TextIndex } from "../prefilter.js";
import { hasDigit, type Rule } from "./rule.js";

/** Ages over 89 (HIPAA identifier 3): a lower age is not PHI under Safe Harbor. */

/** \b(?:9\d|1[01]\d) followed by "y...": a run of exactly those digits; or "age ..." from the keyword pass. */
function ageStarts(t: string, idx: TextIndex): number[] {
  return sortUnique([
    ...fromRuns(idx, (s, e) =>
      (e - s === 2 && t[s] === "9") || (e - s === 3 && t[s] === "1" && (t[s + 1] === "0" || t[s + 1] === "1")) ? s : -1,
    ),
    ...idx.anchors("age-over-89")!,
  ]);
}

// --- ages over 89
export const ageOver89: Rule = {
  id: "age-over-89",
  category: "age",
  hipaa: 3,
  kind: "phi",
  re: /\b(?:(?:9\d|1[01]\d)(?:\s*-?\s*(?:y\.?\s?o\.?|yrs?\.?\s*old|years?[\s-]*old|year-old|years? of age|yo\b|y\/o)(?![a-z]))|(?:age[d]?|aged)\s*(?:of\s*)?(?:9\d|1[01]\d)\b)/gi,
  severity: "high",
  confidence: 0.9,
  gate: hasDigit,
  keywords: ["age"],
  starts: ageStarts,
  impliesGate: true,
  derivedFrom: "04dc51d5",
  samples: { tp: ["Patient is 94 yo"], fp: ["Patient is 84 yo", "/tmp/gh-repo-93YOft"] },
};
