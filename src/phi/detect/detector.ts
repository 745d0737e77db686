import type { Candidate, Profile } from "../candidate.js";
import type { TextIndex } from "../prefilter.js";

/**
 * A context-driven detector (dates, names, places...): reads the whole text and appends raw
 * candidates. Detectors run after the regex rules, in the order of `DETECTORS`
 * (src/phi/detect/index.ts); a later one may read what earlier ones found (`mentions` does).
 */
export interface Detector {
  readonly name: string;
  /** The profiles it runs in. */
  readonly profiles: readonly Profile[];
  /** A rule id that, disabled by the user, turns the whole detector off. */
  readonly disabledBy?: string;
  /**
   * Keyword groups for the shared keyword pass (src/phi/prefilter.ts): every match of `context`
   * starts with one of `prefixes` (test/phi-prefilter.test.ts checks it).
   */
  readonly keywords?: Readonly<Record<string, { prefixes: readonly string[]; context: RegExp }>>;
  /** `idx` is present when the scanner runs its prefilters on this text. */
  detect(text: string, profile: Profile, out: Candidate[], idx: TextIndex | undefined): void;
}
