// Scan set-up shared by every target: the engine, suppression (inline allow comments,
// allowlists, baseline) and the options type. Kept free of picomatch and the file walker so the
// pre-commit hook (src/scan/diff-scan.ts) loads neither unless the config needs them.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Scanner, type ExtraRule } from "../phi/engine.js";
import type { Finding } from "../phi/types.js";
import type { Config } from "../config/schema.js";
import { UserError } from "../core/errors.js";
import { compileUserPattern } from "./safe-regex.js";
import { loadGitleaksRules } from "./gitleaks.js";
import { checkPath } from "./paths.js";
import type { ScanStats } from "../report/findings.js";

/** Everything that shapes a scan besides its target. */
export interface ScanOptions {
  cwd?: string;
  scan?: Config["scan"];
  /** Accepted fingerprints (from --baseline). */
  baseline?: Set<string>;
  maxFileSize?: number;
  gitleaksConfig?: string;
  onProgress?: (files: number, bytes: number) => void;
}

const INLINE_ALLOW = /gitops-health:allow(?:[ \t]+([\w:,.-]+))?/;

/** A glob matcher factory (picomatch's signature), passed in so this module does not load picomatch. */
export type GlobMatcher = (patterns: string[], options: { dot: boolean }) => (path: string) => boolean;

/** True when the config's allowlists need a glob matcher (prepareWith's `glob`). */
export function needsGlob(options: ScanOptions): boolean {
  const allow = options.scan?.allowlist;
  return Boolean(allow && (allow.paths.length || Object.values(allow.rules).some((r) => r.paths.length)));
}

/**
 * Build the engine plus the suppression filter from config. `glob` is picomatch; it may be
 * left out when needsGlob(options) is false (the common case, which then never loads it).
 */
export function prepareWith(options: ScanOptions, glob?: GlobMatcher) {
  const cfg = options.scan;
  const extra: ExtraRule[] = (cfg?.customRules ?? []).map((r) => ({
    id: r.id,
    regex: compileUserPattern(r.id, r.pattern),
    category: r.category,
    severity: r.severity,
    kind: r.category === "secret" ? "secret" : "phi",
  }));
  const gl = options.gitleaksConfig ?? cfg?.gitleaksConfig;
  if (gl) extra.push(...loadGitleaksRules(resolve(options.cwd ?? process.cwd(), gl)));
  const scanner = new Scanner({ extraRules: extra, disabledRules: cfg?.disabledRules });
  const allow = cfg?.allowlist;
  const pathAllowed = allow?.paths.length ? glob!(allow.paths, { dot: true }) : undefined;
  const regexes = (allow?.regexes ?? []).map((r, i) => compileUserPattern(`allowlist.regexes[${i}]`, r));
  const stopwords = (allow?.stopwords ?? []).map((w) => w.toLowerCase());
  const perRule = Object.entries(allow?.rules ?? {}).map(([rule, a]) => ({
    rule,
    path: a.paths.length ? glob!(a.paths, { dot: true }) : undefined,
    regexes: a.regexes.map((r, i) => compileUserPattern(`allowlist.rules.${rule}.regexes[${i}]`, r)),
    stopwords: a.stopwords.map((w) => w.toLowerCase()),
  }));
  const test = (re: { test(s: string): boolean }, s: string) => re.test(s);
  /** True when a finding is suppressed: inline allow comment, allowlists, baseline. */
  const suppressed = (f: Finding, text: string): boolean => {
    const value = text.slice(f.start, f.end);
    const lineStart = text.lastIndexOf("\n", f.start - 1) + 1;
    let lineEnd = text.indexOf("\n", f.end);
    if (lineEnd === -1) lineEnd = text.length;
    const line = text.slice(lineStart, lineEnd);
    const inline = INLINE_ALLOW.exec(line);
    if (inline && (!inline[1] || inline[1].split(",").includes(f.ruleId))) return true;
    if (options.baseline?.has(f.fingerprint)) return true;
    if (f.file && pathAllowed?.(f.file)) return true;
    if (regexes.some((re) => test(re, value))) return true;
    const lower = value.toLowerCase();
    if (stopwords.some((w) => lower.includes(w))) return true;
    for (const r of perRule) {
      if (r.rule !== f.ruleId) continue;
      if ((f.file && r.path?.(f.file)) || r.regexes.some((re) => test(re, value)) || r.stopwords.some((w) => lower.includes(w))) return true;
    }
    return false;
  };
  /** A path's own findings (phi-in-path) and the masked form every finding of that file shows. */
  const path = (p: string, commit?: string) => {
    const r = checkPath(scanner, p, commit);
    return { shown: r.shown, findings: r.findings.filter((f) => !suppressed(f, p)) };
  };
  return { scanner, suppressed, path };
}

export function emptyStats(): ScanStats {
  return { files: 0, bytes: 0, skippedBinary: 0, skippedLarge: 0, suppressed: 0, durationMs: 0 };
}

/** Read a file of accepted fingerprints (one per line, or a JSON report). */
export function readBaseline(file: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UserError(`cannot read baseline ${file}`);
  }
  const t = text.trim();
  if (t.startsWith("{")) {
    try {
      const j = JSON.parse(t) as { findings?: { fingerprint: string }[]; fingerprints?: string[] };
      return new Set([...(j.fingerprints ?? []), ...(j.findings ?? []).map((f) => f.fingerprint)]);
    } catch {
      throw new UserError(`baseline ${file} is not valid JSON`);
    }
  }
  return new Set(t.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#")));
}
