import { z } from "zod";
import type { Config } from "../config/schema.js";
import { UserError } from "../core/errors.js";
import { git, isShallow, repoRoot } from "../git/exec.js";
import { LOG_PATCH_FORMAT } from "../git/diff.js";
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { CONFIG_FILE_NAME } from "../config/schema.js";
import { scanDiffArgs } from "../scan/index.js";
import { compileRules, effectivePack, type Pack } from "./engine.js";
import {
  commitModel,
  evaluatePolicy,
  SIGNATURE_STATUS,
  type ControlStatus,
  type FindingModel,
  type PolicyInput,
  type RangeModel,
  type RuleResult,
  type SignatureCode,
  type Violation,
} from "./evaluate.js";
import type { Ledger } from "../audit/types.js";
import type { CommitReview } from "../review/approvals.js";

export type { ControlStatus, Violation } from "./evaluate.js";

export interface ComplianceReport {
  pack: string;
  classification: string;
  range: RangeModel & { missingBase?: string; shallowBoundary?: string[] };
  /** the range's ends resolved to commit hashes (the ledger records these, never HEAD or a branch name) */
  commits: { from: string | null; to: string };
  checks: PolicyInput["checks"] & {
    /** check entries for the head that do not count (unsigned, untrusted, another commit...) and why */
    untrusted: { name: string; reason: string }[];
    /** who signed each counted result */
    producers: Record<string, string>;
  };
  violations: Violation[];
  controls: ControlStatus[];
  rules: RuleResult[];
  rulesEvaluated: number;
  /** per commit: the pull request, each approval and whether it counted; trailers listed as unverified */
  reviews: ReviewReport;
}

export interface ReviewReport {
  commits: {
    commit: string;
    pull: CommitReview["pull"];
    approvals: CommitReview["approvals"];
    ownersMissing: string[];
    summary: string;
    unverifiedTrailers: string[];
  }[];
  /** who signed the review records that count */
  producers: string[];
  /** review entries that do not count (unsigned, untrusted producer...) */
  rejected: { seq: number; type: string; reason: string }[];
  /** run approvals (`approve --key`) that do not count as review evidence, with why */
  signedRejected?: { seq: number; runId: string; reason: string }[];
  codeOwners?: { path: string; rev: string; errors: { line: number; message: string }[] };
}

/** Commits git reports as shallow boundaries (their parents were not fetched). */
async function shallowBoundaries(root: string): Promise<Set<string>> {
  const file = (await git(["rev-parse", "--path-format=absolute", "--git-path", "shallow"], { cwd: root })).trim();
  return existsSync(file) ? new Set(readFileSync(file, "utf8").split("\n").filter(Boolean)) : new Set();
}

/** Evaluate the pack's rules over every commit in the range; build the control report. */
export async function complianceCheck(o: {
  cwd: string;
  config: Config;
  range?: string;
  pack?: string;
  ledger?: Ledger;
  selfCheck?: boolean;
  configFile?: string;
}): Promise<ComplianceReport> {
  const root = repoRoot(o.cwd);
  if (!root) throw new UserError("compliance check needs a git repository");
  const pack: Pack = effectivePack(o.config, o.pack);
  const rules = await compileRules(pack.rules);
  const range = o.range ?? "HEAD";
  const [fromRev, toRev] = range.includes("..") ? (range.split(/\.\.\.?/) as [string, string]) : [null, range];
  const exists = async (rev: string) =>
    (await git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { cwd: root }).catch(() => "")) !== "";
  const shallow = isShallow(root);
  if (!(await exists(toRev))) throw new UserError(`unknown revision in range: ${toRev}`);
  let logRange = fromRev ? range : `${toRev}^!`;
  let missingBase: string | undefined;
  if (fromRev && !(await exists(fromRev))) {
    // In a shallow clone the base is usually just not fetched: check what is present and say so.
    if (!shallow) throw new UserError(`unknown revision in range: ${fromRev}`);
    missingBase = fromRev;
    logRange = toRev;
  }
  const cfgArgs = o.config.allowedSignersFile
    ? ["-c", `gpg.ssh.allowedSignersFile=${o.config.allowedSignersFile}`]
    : [];
  const raw = await git(
    [
      ...cfgArgs,
      "log",
      "--no-merges",
      "--numstat",
      "--format=%x01%H%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%G?%x00%GS%x00%GK%x00%B%x02",
      logRange,
    ],
    { cwd: root },
  );
  const parsedCommits: {
    sha: string;
    an: string;
    ae: string;
    ad: string;
    cn: string;
    ce: string;
    g: string;
    gs: string;
    gk: string;
    body: string;
    files: { path: string; additions: number; deletions: number }[];
  }[] = [];
  for (const rec of raw.split("\x01").slice(1)) {
    const [head, tail = ""] = rec.split("\x02");
    const [sha, an, ae, ad, cn, ce, g, gs, gk, body] = head!.split("\x00");
    const files = tail
      .split("\n")
      .map((l) => /^(\d+|-)\t(\d+|-)\t(.+)$/.exec(l))
      .filter(Boolean)
      .map((m) => ({
        path: m![3]!,
        additions: m![1] === "-" ? 0 : Number(m![1]),
        deletions: m![2] === "-" ? 0 : Number(m![2]),
      }));
    parsedCommits.push({
      sha: sha!,
      an: an!,
      ae: ae!,
      ad: ad!,
      cn: cn!,
      ce: ce!,
      g: g!,
      gs: gs ?? "",
      gk: gk ?? "",
      body: (body ?? "").trim(),
      files,
    });
  }
  const boundaries = shallow ? await shallowBoundaries(root) : new Set<string>();
  // A boundary commit inside A..B means the walk stopped early: the range is incomplete.
  const cut = fromRev ? parsedCommits.filter((c) => boundaries.has(c.sha)).map((c) => c.sha) : [];
  const scan = await scanDiffArgs(
    ["log", "-p", "-U0", "--no-color", "--no-renames", "--no-merges", LOG_PATCH_FORMAT, logRange],
    { cwd: root, scan: o.config.scan },
  );
  const findingsBy = new Map<string, FindingModel[]>();
  for (const f of scan.findings) {
    const l = findingsBy.get(f.commit ?? "") ?? [];
    l.push({
      ruleId: f.ruleId,
      category: f.category,
      severity: f.severity,
      kind: f.category === "secret" ? "secret" : "phi",
      hipaaIdentifier: f.hipaaIdentifier ?? 0,
    });
    findingsBy.set(f.commit ?? "", l);
  }
  // commitlint (config-conventional) on every message, the one lint path of src/commit/lint.ts
  const { conventionalLintSetup, lintCounts } = await import("../commit/lint.js");
  const lintSetup = await conventionalLintSetup();
  const lint = await Promise.all(parsedCommits.map((c) => lintCounts(c.body, lintSetup)));
  // The head itself, even when it is a merge commit (the log above leaves merges out).
  const head = (await git(["rev-parse", "--verify", `${toRev}^{commit}`], { cwd: root })).trim();
  const fromSha =
    fromRev && !missingBase
      ? (await git(["rev-parse", "--verify", `${fromRev}^{commit}`], { cwd: root })).trim()
      : null;
  // Approvals count only from signed forge review evidence (src/review); trailers are information.
  const { reviewGate } = await import("./review-gate.js");
  const reviews = await reviewGate({
    root,
    logRange,
    fromSha,
    head,
    config: o.config,
    pack,
    ledger: o.ledger,
    files: new Map(parsedCommits.map((c) => [c.sha, c.files.map((f) => f.path)])),
  });
  const commits = parsedCommits.map((c, i) =>
    commitModel({
      sha: c.sha,
      message: c.body,
      author: { name: c.an, email: c.ae, date: c.ad },
      committer: { name: c.cn, email: c.ce },
      signature: { code: (c.g in SIGNATURE_STATUS ? c.g : "N") as SignatureCode, signer: c.gs, key: c.gk },
      files: c.files,
      findings: findingsBy.get(c.sha) ?? [],
      lint: lint[i]!,
      review: reviews.byCommit.get(c.sha)?.model,
    }),
  );
  // Required checks count only from results signed by a trusted producer (the pack's checkEvidence).
  const { producerTrust, readCheckEvidence } = await import("../evidence/checks.js");
  const evidence = o.ledger
    ? await readCheckEvidence(o.ledger, head, producerTrust(o.config, root))
    : { passed: [], untrusted: [], producers: {} };
  const passed = new Set<string>(evidence.passed);
  // Run as the `compliance` check itself (check run compliance), the gate does not wait for its own result.
  const required = o.selfCheck ? pack.requiredChecks.filter((c) => c !== "compliance") : pack.requiredChecks;
  const complete = !missingBase && cut.length === 0;
  const trustChange =
    fromSha && o.configFile && resolve(o.configFile) === resolve(root, CONFIG_FILE_NAME)
      ? await producerTrustChange(root, fromSha, head)
      : undefined;
  const input: PolicyInput = {
    classification: o.config.classification,
    range: { from: fromRev, to: toRev, commits: commits.length, shallow, complete },
    checks: { required, passed: [...passed], missing: required.filter((c) => !passed.has(c)) },
    ledger: { configured: Boolean(o.ledger) },
    commits,
  };
  const ev = evaluatePolicy(rules, input);
  if (!complete) {
    // Evidence that could not be examined is not evidence: an incomplete range fails the gate.
    const what = missingBase
      ? `the range's base ${missingBase} is not in this shallow clone`
      : `history is cut at ${cut.map((s) => s.slice(0, 10)).join(", ")} inside the range`;
    ev.violations.unshift({
      rule: "complete-history",
      severity: "high",
      message: `${what}: checked only the ${commits.length} commit(s) present; fetch the full history (git fetch --unshallow, or fetch-depth: 0 in CI) to check the whole range`,
      controls: [],
    });
  }
  if (trustChange) {
    // A change that decides who may sign its own evidence proves nothing with that evidence.
    ev.violations.unshift({
      rule: "producer-trust",
      severity: "high",
      message: `the range changes who may produce check evidence (${trustChange}); land that change on its own, reviewed, before results signed under it count`,
      controls: ["SOX-ITGC-CM-3"],
    });
  }
  return {
    pack: pack.name,
    classification: o.config.classification,
    range: {
      ...input.range,
      ...(missingBase ? { missingBase } : {}),
      ...(shallow ? { shallowBoundary: [...boundaries] } : {}),
    },
    commits: { from: fromSha, to: head },
    checks: {
      ...input.checks,
      untrusted: evidence.untrusted.filter((u) => required.includes(u.name)),
      producers: evidence.producers,
    },
    violations: ev.violations,
    controls: ev.controls,
    rules: ev.rules,
    rulesEvaluated: rules.length,
    reviews: {
      commits: commits.map((c) => {
        const d = reviews.byCommit.get(c.sha)?.detail;
        return {
          commit: c.sha,
          pull: d?.pull ?? null,
          approvals: d?.approvals ?? [],
          ownersMissing: c.review.ownersMissing,
          summary: c.review.summary,
          unverifiedTrailers: c.approvers,
        };
      }),
      producers: reviews.producers,
      rejected: reviews.rejected,
      ...(reviews.signedRejected.length ? { signedRejected: reviews.signedRejected } : {}),
      ...(reviews.codeOwners ? { codeOwners: reviews.codeOwners } : {}),
    },
  };
}

/**
 * Does the range change the producers' trust list: the `evidence` section of the repository's
 * config (its signer-side `key` aside) or the allowed-signers file it names? Both ends are read
 * from git, not from the working tree.
 */
async function producerTrustChange(root: string, from: string, to: string): Promise<string | undefined> {
  const show = (rev: string, path: string) => git(["show", `${rev}:${path}`], { cwd: root }).catch(() => undefined);
  const { parseConfigText } = await import("../config/load.js");
  const evidenceAt = async (rev: string) => {
    const text = await show(rev, CONFIG_FILE_NAME);
    if (text === undefined)
      return { allowedProducers: [] as string[], namespace: "gitops-health-producer" } as Config["evidence"];
    try {
      return parseConfigText(text).evidence;
    } catch {
      return undefined;
    }
  };
  const [a, b] = await Promise.all([evidenceAt(from), evidenceAt(to)]);
  if (!a || !b) return `${CONFIG_FILE_NAME} is not valid at one end of the range`;
  const norm = (e: Config["evidence"]) =>
    JSON.stringify({
      producers: [...e.allowedProducers].map((k) => k.trim()).sort(),
      file: e.allowedSignersFile ?? null,
      ns: e.namespace,
    });
  if (norm(a) !== norm(b)) return `evidence in ${CONFIG_FILE_NAME}`;
  const file = b.allowedSignersFile;
  if (file && !isAbsolute(file) && (await show(from, file)) !== (await show(to, file))) return file;
  return undefined;
}

export const CheckRecord = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,40}$/),
  status: z.enum(["passed", "failed"]),
});
