/**
 * The documented fake names `sanitize --mode synthetic` draws from. The scanner reports a name
 * made only of these words (at least one of them a surname here) as a known synthetic value at
 * low severity, so sanitized output does not fail the gate it was sanitized for.
 */
export const FAKE_FIRST = ["Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Rowan"];
export const FAKE_LAST = [
  "Testperson",
  "Placeholder",
  "Sample",
  "Fictional",
  "Doe",
  "Example",
  "Synthetic",
  "Mockwell",
];

const FIRST = new Set(FAKE_FIRST.map((w) => w.toLowerCase()));
const LAST = new Set(FAKE_LAST.map((w) => w.toLowerCase()));

/** A name made only of the fake words, with at least one fake surname. */
export function isSyntheticName(value: string): boolean {
  const words = value
    .trim()
    .toLowerCase()
    .split(/[\s,.]+/)
    .filter(Boolean);
  return words.length > 0 && words.some((w) => LAST.has(w)) && words.every((w) => LAST.has(w) || FIRST.has(w));
}
