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

/** `ssn` → `SSN`, `ip-address` → `IP_ADDRESS`: the category part of a placeholder. */
export function placeholderCategory(category: string): string {
  return (
    category
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "") || "REDACTED"
  );
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

/**
 * Mask what the scanner finds in a model's reply: each span (overlaps merged) becomes
 * `[REDACTED_<CATEGORY>]`, which restorePlaceholders never fills in (no number), so PHI the model
 * produced itself never reaches a commit message or any other use. Known synthetic values stay.
 */
export function maskFindings(text: string, scan: Scanner): { text: string; findings: Finding[] } {
  const findings = scan(text)
    .filter((f) => !f.synthetic)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  if (findings.length === 0) return { text, findings };
  let out = "";
  let at = 0;
  for (const f of findings) {
    if (f.end <= at) continue;
    const start = Math.max(f.start, at);
    out += text.slice(at, start) + (start === f.start ? `[REDACTED_${placeholderCategory(f.category)}]` : "");
    at = f.end;
  }
  return { text: out + text.slice(at), findings };
}

/** Put original values back for placeholders the reply repeats; unknown placeholders stay as they are. */
export function restorePlaceholders(text: string, map: Map<string, string>): string {
  return text.replace(PLACEHOLDER, (m) => map.get(m) ?? m);
}

/** Apply `fn` to every string inside a JSON-like value. */
export function mapStrings<T>(value: T, fn: (s: string) => string): T {
  if (typeof value === "string") return fn(value) as T;
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn)) as T;
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)])) as T;
  return value;
}

export function countByCategory(findings: Finding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) out[f.category] = (out[f.category] ?? 0) + 1;
  return out;
}
