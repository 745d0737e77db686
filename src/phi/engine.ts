/**
 * The PHI engine's public surface, kept for existing imports. The engine lives in rooms:
 * `candidate.ts` (types), `rules/` (one declaration per regex rule), `detect/` (dates, names,
 * places behind one Detector interface), `prefilter.ts` (the text index), `scanner.ts` (the
 * Scanner, top-down), `fingerprint.ts` (keyed fingerprints, masked previews).
 */
export type { Candidate, ExtraRule, Kind, Profile, UserPattern } from "./candidate.js";
export {
  CODE_EXTENSIONS,
  MAX_USER_RULE_LINE,
  PREFILTER_AFTER,
  USER_RULE_BUDGET_MS,
  Scanner,
  profileFor,
  resolveOverlaps,
  toFindings,
  type ScannerOptions,
} from "./scanner.js";
export { fingerprint, legacyFingerprint, maskValue, setFingerprintKey } from "./fingerprint.js";
export { clinicalNote, cityLookup } from "./detect/index.js";
