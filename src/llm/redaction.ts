import type { Finding } from "../phi/types.js";

export type Scanner = (text: string) => Finding[];

export interface Redaction {
  text: string;
  /** placeholder → original value; stays on this machine. */
  map: Map<string, string>;
  /** redactions by category (ssn: 2, email: 1...), safe to log. */
  counts: Record<string, number>;
  findings: Finding[];
}

const PLACEHOLDER = /\[([A-Z][A-Z0-9_]*?)_(\d+)\]/g;

function placeholderCategory(category: string): string {
  return category.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "REDACTED";
}

/**
 * Replace every finding with a numbered placeholder (`[SSN_1]`, `[NAME_2]`). The same value gets
 * the same placeholder everywhere, so the model can still tell two patients apart. Overlapping
 * findings are merged (the longer span wins) so no fragment of a value survives.
 */
export function redactWithPlaceholders(text: string, scan: Scanner): Redaction {
  const findings = scan(text).sort((a, b) => a.start - b.start || b.end - a.end);
  const spans: Finding[] = [];
  for (const f of findings) {
    const last = spans[spans.length - 1];
    if (last && f.start < last.end) {
      if (f.end > last.end) spans[spans.length - 1] = { ...last, end: f.end };
      continue;
    }
    spans.push(f);
  }
  const byValue = new Map<string, string>();
  const map = new Map<string, string>();
  const next: Record<string, number> = {};
  const counts: Record<string, number> = {};
  let out = "";
  let at = 0;
  for (const s of spans) {
    const value = text.slice(s.start, s.end);
    const cat = placeholderCategory(s.category);
    let ph = byValue.get(`${cat}\0${value}`);
    if (!ph) {
      next[cat] = (next[cat] ?? 0) + 1;
      ph = `[${cat}_${next[cat]}]`;
      byValue.set(`${cat}\0${value}`, ph);
      map.set(ph, value);
    }
    counts[s.category] = (counts[s.category] ?? 0) + 1;
    out += text.slice(at, s.start) + ph;
    at = s.end;
  }
  out += text.slice(at);
  return { text: out, map, counts, findings };
}

/** Put original values back for placeholders the reply repeats; unknown placeholders stay as they are. */
export function restorePlaceholders(text: string, map: Map<string, string>): string {
  return text.replace(PLACEHOLDER, (m) => map.get(m) ?? m);
}

/** Apply `fn` to every string inside a JSON-like value. */
export function mapStrings<T>(value: T, fn: (s: string) => string): T {
  if (typeof value === "string") return fn(value) as T;
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn)) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)])) as T;
  return value;
}

export function countByCategory(findings: Finding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) out[f.category] = (out[f.category] ?? 0) + 1;
  return out;
}
