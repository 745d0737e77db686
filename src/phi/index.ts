import { Scanner, type ScannerOptions } from "./scanner.js";
import { maskValue } from "./fingerprint.js";
import type { Profile } from "./candidate.js";
import type { Finding, ScanTextOptions } from "./types.js";

export type { Finding, ScanTextOptions } from "./types.js";
export { Scanner, profileFor, type ScannerOptions } from "./scanner.js";
export { maskValue, fingerprint } from "./fingerprint.js";
export type { ExtraRule, Profile, Kind } from "./candidate.js";

/** A scanner with extra rules, disabled rules or restricted kinds. */
export function createScanner(options: ScannerOptions = {}): {
  scan(text: string, opts?: ScanTextOptions & { profile?: Profile }): Finding[];
} {
  const s = new Scanner(options);
  return { scan: (text, opts = {}) => s.scan(text, opts) };
}

let defaultScanner: Scanner | undefined;

/** Find PHI/PII and secrets in text. The profile (code or prose) follows the path's extension. */
export function scanText(text: string, options: ScanTextOptions & { profile?: Profile } = {}): Finding[] {
  defaultScanner ??= new Scanner();
  return defaultScanner.scan(text, options);
}

/**
 * `scanText` over several texts at once (a batch of records): the findings of `scanText` on each, in
 * order, with `paths[k]` as text k's path (its profile and format follow it); faster than one call
 * after another, since the engine takes the texts through each stage together (`Scanner.scanMany`).
 */
export function scanTexts(
  texts: readonly string[],
  options: Omit<ScanTextOptions, "path"> & { profile?: Profile } = {},
  paths?: readonly (string | undefined)[],
): Finding[][] {
  defaultScanner ??= new Scanner();
  return defaultScanner.scanMany(texts, options, paths);
}

/** Replace every finding with a `[CATEGORY]` placeholder. */
export function redact(
  text: string,
  options: ScanTextOptions & { profile?: Profile } = {},
): { text: string; findings: Finding[] } {
  const findings = scanText(text, options);
  let out = "";
  let pos = 0;
  for (const f of findings) {
    out += text.slice(pos, f.start) + `[${f.category.toUpperCase()}]`;
    pos = f.end;
  }
  return { text: out + text.slice(pos), findings };
}

export { maskValue as mask };
