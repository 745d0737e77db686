import picomatch from "picomatch";
import type { CriticalPath } from "../../config/schema.js";
import type { Finding } from "../../phi/types.js";
import { findControl } from "../../policy/controls.js";
import type { ChangeSet } from "./changes.js";
import { classifyPath } from "./classify.js";

export type PhiImpact = "none" | "low" | "medium" | "high";

export interface PhiAssessment {
  impact: PhiImpact;
  /** Findings on added lines (masked previews only). */
  findings: { path: string; line: number; category: string; severity: string; preview: string }[];
  criticalPaths: { path: string; pattern: string; tier: number }[];
  reasons: string[];
}

/**
 * PHI impact from facts: scanner findings on added lines and the configured critical paths.
 * high = high-severity PHI added outside tests, or a tier-1 path; medium = any other finding or
 * tier 2; low = tier 3; none otherwise.
 */
export function assessPhi(
  change: ChangeSet,
  scan: (text: string, path: string) => Finding[],
  criticalPaths: CriticalPath[],
): PhiAssessment {
  const findings: PhiAssessment["findings"] = [];
  const hits: PhiAssessment["criticalPaths"] = [];
  const matchers = criticalPaths.map((c) => ({ c, m: picomatch(c.pattern, { dot: true }) }));
  let rank = 0;
  const reasons: string[] = [];
  for (const f of change.files) {
    for (const { c, m } of matchers) {
      if (m(f.path) || (f.oldPath && m(f.oldPath))) {
        hits.push({ path: f.path, pattern: c.pattern, tier: c.tier });
        rank = Math.max(rank, 4 - c.tier);
      }
    }
    if (f.binary || f.added.length === 0) continue;
    for (const x of scan(f.added.join("\n"), f.path)) {
      findings.push({ path: f.path, line: x.line, category: x.category, severity: x.severity, preview: x.preview });
      const inTests = classifyPath(f.path) === "test" || x.synthetic;
      rank = Math.max(rank, x.severity === "high" && !inTests ? 3 : 2);
    }
  }
  if (findings.length)
    reasons.push(
      `${findings.length} PHI finding(s) on added lines: ${[...new Set(findings.map((x) => x.category))].join(", ")}`,
    );
  if (hits.length)
    reasons.push(
      `touches critical path(s): ${[...new Set(hits.map((h) => `${h.pattern} (tier ${h.tier})`))].join(", ")}`,
    );
  const impact: PhiImpact = (["none", "low", "medium", "high"] as const)[rank]!;
  return { impact, findings, criticalPaths: hits, reasons };
}

/** Control-catalog codes a change evidences, from the words in its paths and changed symbols. */
const CONTROL_SIGNALS: { codes: string[]; re: RegExp; why: string }[] = [
  {
    codes: ["HIPAA-164.312(d)"],
    re: /\b(auth(n|entication|enticate)?|login|logout|sign[-_]?in|password|passwd|mfa|2fa|totp|oauth2?|oidc|saml|sso|jwt|session|credential)s?\b/i,
    why: "authentication",
  },
  {
    codes: ["HIPAA-164.312(a)(1)"],
    re: /\b(authori[sz](ation|e)|permission|rbac|abac|acl|access[-_]?control|role|policy|guard)s?\b/i,
    why: "access control",
  },
  { codes: ["HIPAA-164.312(b)"], re: /\b(audit|ledger|log(ger|ging)?|trail|activity)s?\b/i, why: "audit logging" },
  {
    codes: ["HIPAA-164.312(a)(2)(iv)"],
    re: /\b(crypto|encrypt(ion)?|decrypt(ion)?|cipher|kms|aes|keys?tore)s?\b/i,
    why: "encryption",
  },
  {
    codes: ["HIPAA-164.312(e)(1)"],
    re: /\b(tls|ssl|https|mtls|certificate|transport)s?\b/i,
    why: "transmission security",
  },
  {
    codes: ["HIPAA-164.514(b)"],
    re: /\b(phi|pii|de-?identif(y|ication)|deid|redact(ion)?|anonymi[sz](e|ation)|mask(ing)?|sanitiz(e|er))s?\b/i,
    why: "de-identification",
  },
  { codes: ["HIPAA-164.312(c)(1)"], re: /\b(integrity|checksum|hash|merkle|tamper)s?\b/i, why: "integrity" },
  {
    codes: ["21CFR11.50", "21CFR11.70"],
    re: /\b(e-?signatures?|signed[-_]?(note|commit)s?|approvals?)\b/i,
    why: "electronic signatures",
  },
];

export function complianceCodes(change: ChangeSet, symbols: string[]): { codes: string[]; reasons: string[] } {
  // Split camelCase and path separators so `AuthService.ts` and `audit_log` read as words.
  const words = [...change.files.map((f) => f.path), ...symbols]
    .join(" ")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[/_.\-]+/g, " ");
  const codes: string[] = [];
  const reasons: string[] = [];
  for (const s of CONTROL_SIGNALS) {
    const m = s.re.exec(words);
    if (!m) continue;
    for (const c of s.codes) if (findControl(c) && !codes.includes(c)) codes.push(c);
    reasons.push(`${s.why} ("${m[0]}")`);
  }
  return { codes, reasons };
}

/** Ticket reference from a branch name: `ABC-123` (Jira style) or `#123` (issue number). */
export function ticketFromBranch(branch: string | undefined): string | undefined {
  if (!branch) return undefined;
  const jira =
    /(?:^|[^A-Za-z0-9])([A-Z][A-Z0-9]{1,9}-\d{1,7})(?![0-9])/.exec(branch) ??
    /(?:^|[/_-])([a-z][a-z0-9]{1,9}-\d{1,7})(?=$|[/_-])/.exec(branch);
  if (jira && !/^(v|release|rc|hotfix|feature|fix|bugfix|issue|gh)-/i.test(jira[1]!)) return jira[1]!.toUpperCase();
  const issue = /(?:^|\/)(?:(?:issue|issues|gh|bug|fix|feat|feature|hotfix|bugfix)[-_/]?)?#?(\d{1,6})(?=$|[-_/])/.exec(
    branch,
  );
  return issue ? `#${issue[1]}` : undefined;
}
