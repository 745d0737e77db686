import type { Detector } from "./detector.js";
import { dates } from "./dates.js";
import { names, signatures } from "./names.js";
import { places } from "./places.js";
import { mentions } from "./mentions.js";

export type { Detector } from "./detector.js";
export { clinicalNote } from "./places.js";
export { cityLookup } from "./lexicon.js";

/**
 * The detectors in the order they run. The order is part of the output: resolveOverlaps keeps
 * the earlier of two otherwise equal candidates, and `mentions` spreads what the others found.
 */
export const DETECTORS: readonly Detector[] = [dates, names, signatures, places, mentions];

/** Keyword groups declared by the detectors. */
export const DETECTOR_KEYWORDS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  DETECTORS.flatMap((d) => Object.entries(d.keywords ?? {}).map(([g, k]) => [g, k.prefixes])),
);
