import type { Finding } from "../phi/types.js";
import type { Severity } from "../config/schema.js";
import { createHash } from "node:crypto";
import { sarifLevel, sarifLog } from "./sarif.js";
import { severityAtLeast } from "../core/vocabulary.js";

/** The fingerprint scheme of this version's findings (src/phi/engine.ts `fingerprint`; docs/SECURITY.md). */
export const FINGERPRINT_SCHEME = "hmac-sha256/v2";

/** Summary counts of a scan, shared by every writer. */
export interface ScanStats {
  files: number;
  bytes: number;
  skippedBinary: number;
  /** Files not scanned because they were too large (each also a scan-skipped finding unless skipping is allowed). */
  skippedLarge: number;
  /** Files over the size limit scanned in overlapping chunks, streamed. */
  chunked: number;
  suppressed: number;
  durationMs: number;
}

export interface ScanReport {
  findings: Finding[];
  stats: ScanStats;
}

const RULE_HELP: Record<string, string> = {
  secret:
    "A credential in source control can be used by anyone who can read the repository. Revoke it and load it from a secret store.",
  name: "A person's name is HIPAA Safe Harbor identifier (A). Use synthetic names in code, tests and fixtures.",
};
const PATH_HELP =
  "A file's name holds an identifier: every tool that lists the file (git log, CI output, reports) shows it. Rename the file; reports show the path masked.";

function location(f: Finding): string {
  return `${f.file ?? "<text>"}:${f.line}:${f.column}`;
}

/** Human report for stderr. Values are always masked. */
export function formatText(
  r: ScanReport,
  color: { red(s: string): string; yellow(s: string): string; dim(s: string): string; bold(s: string): string },
  gate?: { failOn: Severity },
): string {
  const lines: string[] = [];
  let lastFile: string | undefined;
  // Columns padded to the widest value in this report (padding outside the colour codes).
  const loc = (f: Finding) => `${f.line}:${f.column}`;
  const hipaaOf = (f: Finding) => (f.hipaaIdentifier ? `HIPAA#${f.hipaaIdentifier}` : "");
  const width = (get: (f: Finding) => string) => r.findings.reduce((w, f) => Math.max(w, get(f).length), 0);
  const [wLoc, wRule, wCat, wHipaa] = [width(loc), width((f) => f.ruleId), width((f) => f.category), width(hipaaOf)];
  for (const f of r.findings) {
    if (f.file !== lastFile) {
      lines.push(color.bold(f.file ?? "<text>"));
      lastFile = f.file;
    }
    const sev =
      f.severity === "high"
        ? color.red("high  ")
        : f.severity === "medium"
          ? color.yellow("medium")
          : color.dim("low   ");
    const hipaa = wHipaa ? `  ${hipaaOf(f).padEnd(wHipaa)}` : "";
    const commit = f.commit ? color.dim(` (introduced in ${f.commit.slice(0, 10)})`) : "";
    lines.push(
      `  ${loc(f).padStart(wLoc)}  ${sev}  ${f.ruleId.padEnd(wRule)}  ${f.category.padEnd(wCat)}${hipaa}  ${f.preview}${f.synthetic ? color.dim(" [synthetic]") : ""}${commit}`,
    );
  }
  const s = r.stats;
  const bySev = (x: Severity) => r.findings.filter((f) => f.severity === x).length;
  lines.push(
    `${r.findings.length} finding(s) (${bySev("high")} high, ${bySev("medium")} medium, ${bySev("low")} low) in ${s.files} file(s), ${(s.bytes / 1e6).toFixed(2)} MB, ${s.durationMs} ms` +
      (s.skippedBinary ? `; ${s.skippedBinary} binary skipped` : "") +
      (s.chunked ? `; ${s.chunked} over size limit scanned in chunks` : "") +
      (s.skippedLarge ? `; ${s.skippedLarge} over size limit skipped` : "") +
      (s.suppressed ? `; ${s.suppressed} suppressed` : ""),
  );
  if (gate) {
    const below = r.findings.filter((f) => !severityAtLeast(f.severity, gate.failOn)).length;
    const failing = r.findings.length - below;
    lines.push(
      `gate --fail-on ${gate.failOn}: ${failing} finding(s) at or above it${below ? `, ${below} below it (reported, not failing)` : ""}`,
    );
  }
  return lines.join("\n");
}

/** What to do next when a commit is blocked (pre-commit hook, `scan --staged`): one line, no finding values. */
export function blockedCommitHint(): string {
  return "commit blocked. Next: fix or remove the values above (`gitops-health sanitize FILE` can), or allow-list a false positive (inline `gitops-health:allow RULE` comment, or scan.allowlist paths/regexes/rules.RULE in .gitops-health.yml), or accept existing findings with a baseline (`scan --write-baseline FILE`, then `scan --baseline FILE`).";
}

export function formatJson(r: ScanReport): string {
  return JSON.stringify({ fingerprintScheme: FINGERPRINT_SCHEME, findings: r.findings, stats: r.stats }, null, 2);
}

export function formatMarkdown(r: ScanReport): string {
  const out = ["# gitops-health scan", "", `${r.findings.length} finding(s) in ${r.stats.files} file(s).`, ""];
  if (r.findings.length) {
    out.push("| severity | rule | category | HIPAA | location | preview |", "| --- | --- | --- | --- | --- | --- |");
    for (const f of r.findings)
      out.push(
        `| ${f.severity} | ${f.ruleId} | ${f.category} | ${f.hipaaIdentifier ?? ""} | \`${location(f)}\` | \`${f.preview.replace(/\|/g, "\\|")}\` |`,
      );
  }
  return out.join("\n") + "\n";
}

/**
 * SARIF 2.1.0 for GitHub code scanning; results carry partialFingerprints, never raw values.
 * `gitopsHealthLocation/v1` (rule, file, and the finding's ordinal among that rule's findings in the
 * file) is the same on every push whatever the key; the keyed value fingerprint `gitopsHealth/v2` is
 * left out when `keyed` is false (an ephemeral key: it would differ on every run and churn alerts).
 */
export function formatSarif(r: ScanReport, version: string, o: { keyed?: boolean } = {}): string {
  const ordinal = new Map<Finding, number>();
  const seen = new Map<string, number>();
  for (const f of [...r.findings].sort((a, b) => a.line - b.line || a.column - b.column)) {
    const k = `${f.ruleId}\0${(f.file ?? "stdin").replace(/\\/g, "/")}`;
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    ordinal.set(f, n);
  }
  const locationPrint = (f: Finding) =>
    createHash("sha256")
      .update(`${f.ruleId}\0${(f.file ?? "stdin").replace(/\\/g, "/")}\0${ordinal.get(f)}`)
      .digest("hex");
  const ruleIds = [...new Set(r.findings.map((f) => f.ruleId))].sort();
  const byId = new Map(r.findings.map((f) => [f.ruleId, f]));
  const rules = ruleIds.map((id) => {
    const f = byId.get(id)!;
    return {
      id,
      name: id.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase()),
      shortDescription: { text: `${f.category === "secret" ? "Secret" : "PHI/PII"}: ${f.category}` },
      fullDescription: {
        text: f.ruleId.endsWith("-in-path")
          ? PATH_HELP
          : (RULE_HELP[f.category] ??
            `Possible ${f.category}${f.hipaaIdentifier ? ` (HIPAA Safe Harbor identifier ${f.hipaaIdentifier})` : ""} in the change.`),
      },
      defaultConfiguration: { level: sarifLevel(f.severity) },
      properties: {
        tags: [f.category === "secret" ? "security" : "privacy", "phi"],
        category: f.category,
        ...(f.hipaaIdentifier ? { hipaaIdentifier: f.hipaaIdentifier } : {}),
      },
    };
  });
  const results = r.findings.map((f) => ({
    ruleId: f.ruleId,
    ruleIndex: ruleIds.indexOf(f.ruleId),
    level: sarifLevel(f.severity),
    message: {
      text: `${f.category}${f.hipaaIdentifier ? ` (HIPAA identifier ${f.hipaaIdentifier})` : ""}: ${f.preview}${f.synthetic ? " (known synthetic value)" : ""}`,
    },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: (f.file ?? "stdin").replace(/\\/g, "/") },
          // an identifier in the file's name (phi-in-path) is about the file, not a region of it
          ...(f.ruleId.endsWith("-in-path")
            ? {}
            : { region: { startLine: f.line, startColumn: f.column, endColumn: f.column + (f.end - f.start) } }),
        },
      },
    ],
    // keyed (hmac-sha256/v2): the unkeyed v1 digest let anyone with the SARIF file brute-force low-entropy values
    partialFingerprints: {
      ...(o.keyed === false ? {} : { "gitopsHealth/v2": f.fingerprint }),
      "gitopsHealthLocation/v1": locationPrint(f),
    },
    properties: { confidence: f.confidence, severity: f.severity, ...(f.commit ? { commit: f.commit } : {}) },
  }));
  return sarifLog(version, rules, results, "gitops-health/scan");
}
