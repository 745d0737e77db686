/**
 * The policy input model and its evaluation: pure, no git. `compliance check` builds the
 * input from a range; `policy test` builds it from YAML cases. Both share this code so a
 * policy test exercises exactly what the gate evaluates.
 */
import { parseCommitMessage } from "../commit/message.js";
import { CONTROLS, findControl } from "./controls.js";
import { celBindings, type CompiledRule } from "./engine.js";
import { SEVERITY_RANK } from "../core/vocabulary.js";

/** `%G?` letters as git prints them, mapped to the names rules compare against. */
export const SIGNATURE_STATUS = {
  G: "good",
  B: "bad",
  U: "good-untrusted",
  X: "expired",
  Y: "expired-key",
  R: "revoked",
  E: "unverifiable",
  N: "none",
} as const;
export type SignatureCode = keyof typeof SIGNATURE_STATUS;
export type SignatureStatus = (typeof SIGNATURE_STATUS)[SignatureCode];

export interface FindingModel {
  ruleId: string;
  category: string;
  severity: string;
  kind: "phi" | "secret";
  hipaaIdentifier: number;
}

export interface FileModel {
  path: string;
  additions: number;
  deletions: number;
}

/** What a commit-scoped CEL rule sees as `commit`. */
export interface CommitModel {
  sha: string;
  message: string;
  header: { type: string; scope: string; subject: string; breaking: boolean };
  trailers: Record<string, string[]>;
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string };
  signature: { status: SignatureStatus; code: SignatureCode; signer: string; email: string; key: string };
  files: FileModel[];
  findings: FindingModel[];
  /** emails from Approved-by / Reviewed-by trailers: written by the author, so information only (unverified) */
  approvers: string[];
  /** forge review evidence for the change (src/review): what approval rules count */
  review: ReviewModel;
  lint: { errors: number; warnings: number };
  unknownCitations: string[];
}

export interface RangeModel {
  from: string | null;
  to: string;
  commits: number;
  shallow: boolean;
  /** false when a shallow clone cut the range: some commits could not be checked. */
  complete: boolean;
}

/** What the approval rules see as `commit.review`: verified forge evidence only, never trailers. */
export interface ReviewModel {
  /** the pull request that brought the commit in (0: none recorded) */
  pull: number;
  /** how it was merged: merge, squash, rebase ("" without a pull request) */
  merge: string;
  /** distinct reviewers whose approval counts: current, not the author or a committer, signed forge evidence */
  approvals: number;
  approvers: string[];
  /** changed paths that need a code owner's approval and lack one */
  ownersMissing: string[];
  /** one line on what counted and what did not, for violation messages */
  summary: string;
}

export const NO_REVIEW: ReviewModel = {
  pull: 0,
  merge: "",
  approvals: 0,
  approvers: [],
  ownersMissing: [],
  summary: "no review evidence recorded",
};

/** Everything the rules see besides `commit`. */
export interface PolicyInput {
  classification: string;
  range: RangeModel;
  checks: { required: string[]; passed: string[]; missing: string[] };
  ledger: { configured: boolean };
  commits: CommitModel[];
}

export interface Violation {
  rule: string;
  severity: "low" | "medium" | "high";
  commit?: string;
  message: string;
  controls: string[];
  /** A file the commit touched, so SARIF consumers have a location to anchor the result. */
  file?: string;
}

export interface ControlStatus {
  id: string;
  title: string;
  status: "met" | "failed" | "not evidenced";
  rules: string[];
  failedCommits: string[];
}

export interface RuleResult {
  id: string;
  severity: "low" | "medium" | "high";
  scope: "commit" | "range";
  /** skip: a commit rule with no commits to evaluate. */
  result: "pass" | "fail" | "skip";
  failedCommits: string[];
  errors: string[];
}

export interface Evaluation {
  violations: Violation[];
  rules: RuleResult[];
  controls: ControlStatus[];
}

const emailOf = (s: string) => (/<([^>]+)>/.exec(s)?.[1] ?? s).trim().toLowerCase();

/**
 * Derive the parsed parts of a commit (header, trailers, approvers, lint counts, unknown
 * citations) from its raw fields, the way the gate does for real commits.
 */
export function commitModel(c: {
  sha: string;
  message: string;
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string };
  signature: { code: SignatureCode; signer: string; key: string };
  files: FileModel[];
  findings: FindingModel[];
  /** commitlint's errors and warnings for the message (src/commit/lint.ts `lintCounts`). */
  lint: { errors: number; warnings: number };
  review?: ReviewModel;
}): CommitModel {
  const parsed = parseCommitMessage(c.message);
  const citations = (parsed.trailers["Compliance"] ?? []).flatMap((v) => v.split(/[,\s]+/)).filter(Boolean);
  const approvers = [...(parsed.trailers["Approved-by"] ?? []), ...(parsed.trailers["Reviewed-by"] ?? [])].map(emailOf);
  return {
    sha: c.sha,
    message: c.message,
    header: {
      type: parsed.type ?? "",
      scope: parsed.scope ?? "",
      subject: parsed.subject ?? "",
      breaking: parsed.breaking,
    },
    trailers: parsed.trailers,
    author: { ...c.author, email: c.author.email.toLowerCase() },
    committer: { ...c.committer, email: c.committer.email.toLowerCase() },
    signature: {
      status: SIGNATURE_STATUS[c.signature.code],
      code: c.signature.code,
      signer: c.signature.signer,
      email: c.signature.signer ? emailOf(c.signature.signer) : "",
      key: c.signature.key,
    },
    files: c.files,
    findings: c.findings,
    approvers: [...new Set(approvers)],
    review: c.review ?? { ...NO_REVIEW, approvers: [], ownersMissing: [] },
    lint: { errors: c.lint.errors, warnings: c.lint.warnings },
    unknownCitations: citations.filter((x) => !findControl(x)),
  };
}

/** Run every rule (commit rules once per commit, range rules once) and map results to controls. */
export function evaluatePolicy(rules: CompiledRule[], input: PolicyInput): Evaluation {
  const base = { classification: input.classification, range: input.range, checks: input.checks, ledger: input.ledger };
  const violations: Violation[] = [];
  const results = new Map<string, RuleResult>(
    rules.map((r) => [
      r.id,
      { id: r.id, severity: r.severity, scope: r.scope, result: "skip", failedCommits: [], errors: [] },
    ]),
  );
  const record = (
    rule: CompiledRule,
    bindings: Record<string, unknown>,
    ok: boolean,
    commit?: CommitModel,
    error?: string,
  ) => {
    const res = results.get(rule.id)!;
    if (res.result === "skip") res.result = "pass";
    if (ok) return;
    res.result = "fail";
    res.failedCommits.push(commit?.sha ?? "(range)");
    if (error) res.errors.push(error);
    const file = commit?.files[0]?.path;
    violations.push({
      rule: rule.id,
      severity: rule.severity,
      ...(commit ? { commit: commit.sha } : {}),
      message: error ? `rule error: ${error}` : rule.explain(bindings),
      controls: rule.controls,
      ...(file ? { file } : {}),
    });
  };
  const commitRules = rules.filter((x) => x.scope === "commit");
  for (const c of input.commits) {
    // one set of bindings for all of the commit's rules (none changes them)
    const bindings = commitRules.length ? celBindings({ ...base, commit: c }) : {};
    for (const r of commitRules) {
      const res = r.run(bindings);
      record(r, bindings, res.ok, c, res.error);
    }
  }
  const rangeRules = rules.filter((x) => x.scope === "range");
  const rangeBindings = rangeRules.length ? celBindings({ ...base, commit: {} }) : {};
  for (const r of rangeRules) {
    const res = r.run(rangeBindings);
    record(r, rangeBindings, res.ok, undefined, res.error);
  }
  // Per control: its rules' results counted in place; the rule-id lists are computed once per rule set
  // (shared, frozen) and a failed-commit list is built only for a failed control (a decision's garbage
  // is what the service's scavenges pay for: issue 17).
  const controls: ControlStatus[] = controlPlan(rules).map(({ ctl, rs, ids }) => {
    let evaluated = 0;
    let failed = 0;
    for (const r of rs) {
      const res = results.get(r.id)!.result;
      if (res !== "skip") evaluated++;
      if (res === "fail") failed++;
    }
    return {
      id: ctl.id,
      title: ctl.title,
      status: evaluated === 0 ? "not evidenced" : failed ? "failed" : "met",
      rules: ids,
      failedCommits: failed
        ? [
            ...new Set(
              rs.flatMap((r) => (results.get(r.id)!.result === "fail" ? results.get(r.id)!.failedCommits : [])),
            ),
          ]
        : NONE,
    };
  });
  return { violations, rules: [...results.values()], controls };
}

const NONE: string[] = Object.freeze([]) as unknown as string[];

interface ControlPlan {
  ctl: (typeof CONTROLS)[number];
  /** the rules citing the control, in rule order */
  rs: CompiledRule[];
  /** their ids (frozen: shared by every decision's ControlStatus) */
  ids: string[];
}
const controlPlans = new WeakMap<CompiledRule[], ControlPlan[]>();

/** Each catalog control's rules (those citing it), in rule order: computed once per compiled rule set. */
function controlPlan(rules: CompiledRule[]): ControlPlan[] {
  let plan = controlPlans.get(rules);
  if (!plan) {
    plan = CONTROLS.map((ctl) => {
      const rs = rules.filter((r) => r.controls.some((c) => findControl(c)?.id === ctl.id));
      return { ctl, rs, ids: Object.freeze(rs.map((r) => r.id)) as unknown as string[] };
    });
    controlPlans.set(rules, plan);
  }
  return plan;
}

/** The gate's decision: fail when any violation is at or above `failOn`. */
export function decide(violations: Violation[], failOn: keyof typeof SEVERITY_RANK): "pass" | "fail" {
  return violations.some((v) => SEVERITY_RANK[v.severity] >= SEVERITY_RANK[failOn]) ? "fail" : "pass";
}
