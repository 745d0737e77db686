// PLACEHOLDER engine: the foundation ships a minimal detector so other domains can code
// against the API. The full engine (issue: PHI/PII and secret scanning) replaces this file.
import { createHash } from "node:crypto";
import type { Finding, ScanTextOptions } from "./types.js";

export type { Finding, ScanTextOptions } from "./types.js";

const RULES: { id: string; category: string; hipaa?: number; re: RegExp; kind: "phi" | "secret" }[] = [
  { id: "us-ssn", category: "ssn", hipaa: 7, re: /\b\d{3}-\d{2}-\d{4}\b/g, kind: "phi" },
  { id: "email", category: "email", hipaa: 6, re: /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, kind: "phi" },
  { id: "aws-access-key", category: "secret", re: /\bAKIA[0-9A-Z]{16}\b/g, kind: "secret" },
];

export function maskValue(value: string): string {
  if (value.length <= 4) return "*".repeat(value.length);
  return value.slice(0, 1) + "*".repeat(Math.max(3, value.length - 2)) + value.slice(-1);
}

export function scanText(text: string, options: ScanTextOptions = {}): Finding[] {
  const findings: Finding[] = [];
  const kinds = options.kinds ?? ["phi", "secret"];
  for (const rule of RULES) {
    if (!kinds.includes(rule.kind)) continue;
    for (const m of text.matchAll(rule.re)) {
      const start = m.index;
      const end = start + m[0].length;
      const before = text.slice(0, start);
      const line = (before.match(/\n/g)?.length ?? 0) + (options.firstLine ?? 1);
      const column = start - (before.lastIndexOf("\n") + 1) + 1;
      findings.push({
        ruleId: rule.id,
        category: rule.category,
        hipaaIdentifier: rule.hipaa,
        severity: "high",
        confidence: 0.9,
        file: options.path,
        line,
        column,
        start,
        end,
        commit: options.commit,
        preview: maskValue(m[0]),
        fingerprint: createHash("sha256").update(`${rule.id}\0${options.path ?? ""}\0${m[0]}`).digest("hex").slice(0, 32),
      });
    }
  }
  return findings;
}

/** Replace every finding with a `[CATEGORY]` placeholder. */
export function redact(text: string, options: ScanTextOptions = {}): { text: string; findings: Finding[] } {
  const findings = scanText(text, options).sort((a, b) => b.start - a.start);
  let out = text;
  for (const f of findings) out = out.slice(0, f.start) + `[${f.category.toUpperCase()}]` + out.slice(f.end);
  return { text: out, findings: findings.reverse() };
}
