// Scan set-up shared by every target: the engine, suppression (inline allow comments,
// allowlists, baseline) and the options type. Kept free of picomatch and the file walker so the
// pre-commit hook (src/scan/diff-scan.ts) loads neither unless the config needs them.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Scanner } from "../phi/scanner.js";
import { legacyFingerprint, setFingerprintKey } from "../phi/fingerprint.js";
import type { ExtraRule } from "../phi/candidate.js";
import type { Finding } from "../phi/types.js";
import type { Config } from "../config/schema.js";
import { UserError } from "../core/errors.js";
import { compileUserPattern } from "./safe-regex.js";
import { loadGitleaksRules } from "./gitleaks.js";
import { checkPath } from "./paths.js";
import { FINGERPRINT_SCHEME, type ScanStats } from "../report/findings.js";
import { loadFingerprintKey, type FingerprintKey } from "./fingerprint-key.js";

/** Everything that shapes a scan besides its target. */
export interface ScanOptions {
  cwd?: string;
  scan?: Config["scan"];
  /** Accepted fingerprints (from --baseline). */
  baseline?: Set<string>;
  /** Accepted fingerprints of the old unkeyed scheme (an unmigrated baseline), matched until it is rewritten. */
  legacyBaseline?: Set<string>;
  /** Called with each finding a baseline accepted (`scan --update-baseline`). */
  onBaselineHit?: (f: Finding) => void;
  /** The fingerprint key (a worker gets the main thread's); else loaded on the first finding (fingerprint-key.ts). */
  fingerprintKey?: Uint8Array;
  /** Files the scan cannot read pass the gate (else each is a scan-skipped finding); also scan.allowSkip. */
  allowSkip?: boolean;
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
  const cwd = options.cwd ?? process.cwd();
  setFingerprintKey(options.fingerprintKey ?? (() => loadFingerprintKey(cwd, cfg?.fingerprintKeyFile).key));
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
    if (
      options.baseline?.has(f.fingerprint) ||
      (options.legacyBaseline?.size && options.legacyBaseline.has(legacyFingerprint(f.ruleId, f.file, value)))
    ) {
      options.onBaselineHit?.(f);
      return true;
    }
    if (f.file && pathAllowed?.(f.file)) return true;
    if (regexes.some((re) => test(re, value))) return true;
    const lower = value.toLowerCase();
    if (stopwords.some((w) => lower.includes(w))) return true;
    for (const r of perRule) {
      if (r.rule !== f.ruleId) continue;
      if (
        (f.file && r.path?.(f.file)) ||
        r.regexes.some((re) => test(re, value)) ||
        r.stopwords.some((w) => lower.includes(w))
      )
        return true;
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
  return { files: 0, bytes: 0, skippedBinary: 0, skippedLarge: 0, chunked: 0, suppressed: 0, durationMs: 0 };
}

/** A baseline read from a file: fingerprints of the current keyed scheme, or of the old unkeyed one. */
export interface Baseline {
  /** FINGERPRINT_SCHEME, or "sha256/v1" for a file written before fingerprints were keyed. */
  scheme: string;
  /** The id of the key it was written with (keyed scheme only). */
  keyId?: string;
  fingerprints: Set<string>;
}

/**
 * Read a file of accepted fingerprints (one per line, or a JSON report). A text baseline records its
 * scheme and key id in a `# scheme: ... key: ...` line; a JSON report in `fingerprintScheme`. Files
 * without one are the old unkeyed scheme.
 */
export function readBaselineFile(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UserError(`cannot read baseline ${file}`);
  }
  const t = text.trim();
  if (t.startsWith("{")) {
    try {
      const j = JSON.parse(t) as {
        fingerprintScheme?: string;
        fingerprintKeyId?: string;
        findings?: { fingerprint: string }[];
        fingerprints?: string[];
      };
      return {
        scheme: j.fingerprintScheme ?? "sha256/v1",
        keyId: j.fingerprintKeyId,
        fingerprints: new Set([...(j.fingerprints ?? []), ...(j.findings ?? []).map((f) => f.fingerprint)]),
      };
    } catch {
      throw new UserError(`baseline ${file} is not valid JSON`);
    }
  }
  const lines = t.split(/\r?\n/).map((l) => l.trim());
  const header = lines.map((l) => /^#\s*scheme:\s*(\S+)(?:\s+key:\s*([0-9a-f]+))?/.exec(l)).find(Boolean);
  return {
    scheme: header?.[1] ?? "sha256/v1",
    keyId: header?.[2],
    fingerprints: new Set(lines.filter((l) => l && !l.startsWith("#"))),
  };
}

/** A baseline file's text: its scheme and key id, then the fingerprints. */
export function formatBaseline(fingerprints: Iterable<string>, key: Pick<FingerprintKey, "id">): string {
  return `# gitops-health baseline: accepted finding fingerprints\n# scheme: ${FINGERPRINT_SCHEME} key: ${key.id}\n${[...new Set(fingerprints)].join("\n")}\n`;
}

/**
 * The scan options for a baseline file, and a warning when it cannot match as it is: an unkeyed
 * baseline (still matched, with the migration to run), or one written with another key.
 */
export function baselineOptions(
  file: string,
  key: Pick<FingerprintKey, "id" | "source">,
): { baseline?: Set<string>; legacyBaseline?: Set<string>; warning?: string } {
  const b = readBaselineFile(file);
  if (b.scheme === "sha256/v1") {
    return {
      legacyBaseline: b.fingerprints,
      warning: `baseline ${file} holds unkeyed (sha256/v1) fingerprints, from which low-entropy values (SSNs, dates, phones) can be recovered by brute force; they still suppress findings for now. Migrate: gitops-health scan <same paths> --baseline ${file} --update-baseline (rewrites it keyed), and remove old copies`,
    };
  }
  if (b.scheme !== FINGERPRINT_SCHEME)
    throw new UserError(
      `baseline ${file}: unknown fingerprint scheme "${b.scheme}" (this version reads ${FINGERPRINT_SCHEME} and sha256/v1)`,
    );
  if (b.keyId && b.keyId !== key.id) {
    const why =
      key.source === "ephemeral"
        ? "no fingerprint key is set up here (run gitops-health init, or set GITOPS_HEALTH_FINGERPRINT_KEY)"
        : `this scan uses key ${key.id}`;
    return {
      baseline: b.fingerprints,
      warning: `baseline ${file} was written with fingerprint key ${b.keyId} and ${why}: none of its fingerprints can match`,
    };
  }
  return { baseline: b.fingerprints };
}

/** Read a file of accepted fingerprints (one per line, or a JSON report), whatever its scheme. */
export function readBaseline(file: string): Set<string> {
  return readBaselineFile(file).fingerprints;
}
