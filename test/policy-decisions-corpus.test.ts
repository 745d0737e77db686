// Decisions must not change when the decision path is made faster: every built-in pack's decision on a
// corpus of 600 generated inputs (real commit messages from test/fixtures/commit/real-messages.json,
// signatures, files, findings, reviews, checks, ranges, several commits, every --fail-on) is compared
// with the one recorded before the issue 17 performance work (test/fixtures/policy/decisions-golden.json,
// a SHA-256 of each decision's canonical JSON). Regenerate only for an intended change of behaviour:
// GOLDEN_WRITE=1 npx vitest run test/policy-decisions-corpus.test.ts
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { decidePolicy, PolicyInputDocument } from "../src/policy/decision.js";
import { BUILTIN_PACKS } from "../src/policy/packs.js";
import { mulberry32 } from "../src/core/prng.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const GOLDEN = join(FIXTURES, "policy", "decisions-golden.json");
const MESSAGES = (
  JSON.parse(readFileSync(join(FIXTURES, "commit", "real-messages.json"), "utf8")) as { messages: string[] }
).messages;

const prng = mulberry32;

type Input = z.input<typeof PolicyInputDocument>;
type CommitIn = NonNullable<Input["commit"]>;

function corpus(n = 600, seed = 17): { input: Input; failOn: "low" | "medium" | "high" }[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const some = <T>(xs: readonly T[], p = 0.5): T[] => xs.filter(() => r() < p);
  const TRAILERS = [
    "Approved-by: Ann <ann@example.com>",
    "Reviewed-by: Bo <BO@Example.com>",
    "Compliance: HIPAA-164.312(b)",
    "Compliance: 21 CFR Part 11.10(e), SOX-ITGC-CM-1",
    "Compliance: SOX-ITGC-CM-9",
    "Compliance: hipaa-164.312(c)(1) NOPE-1",
    "Risk-Level: HIGH",
    "Refs: #123",
    "BREAKING CHANGE: the API changed",
    "Signed-off-by: Dev <dev@example.com>",
  ];
  const PATHS = [
    "src/app.ts",
    "migrations/001_init.sql",
    "deploy/prod.yaml",
    "README.md",
    "src/phi/detect.ts",
    "infra/main.tf",
    "package.json",
    ".github/workflows/ci.yml",
  ];
  const SIGS: CommitIn["signature"][] = [
    "G",
    "U",
    "E",
    "X",
    "Y",
    "R",
    "B",
    "N",
    "good",
    "bad",
    "good-untrusted",
    { status: "G", signer: "Ann <ann@example.com>", key: "SHA256:abc" },
    { status: "E", signer: "", key: "SHA256:def" },
  ];
  const FINDINGS: NonNullable<CommitIn["findings"]>[number][] = [
    { category: "ssn" },
    { category: "secret", severity: "high" },
    { category: "mrn", severity: "medium", hipaaIdentifier: 8 },
    { category: "aws-key", kind: "secret", severity: "high", ruleId: "aws-access-key" },
    { category: "name", kind: "phi", severity: "low" },
  ];
  const CHECKS = ["lint", "test", "tests", "security", "compliance", "phi", "phi-scan", "build"];
  const commit = (): CommitIn => {
    let message = pick(MESSAGES);
    if (r() < 0.4) message = `${message.replace(/\n+$/, "")}\n\n${some(TRAILERS, 0.3).join("\n")}`;
    if (r() < 0.1) message = message.toUpperCase();
    const c: CommitIn = { message };
    if (r() < 0.15) delete c.message;
    if (r() < 0.8) c.signature = pick(SIGS);
    if (r() < 0.6)
      c.files = some(PATHS, 0.3).map((p) =>
        r() < 0.5 ? p : { path: p, additions: Math.floor(r() * 500), deletions: 3 },
      );
    if (r() < 0.4) c.findings = some(FINDINGS, 0.4);
    if (r() < 0.5) {
      const approvers = some(["ann", "bo", "cy"], 0.5);
      c.review = r() < 0.5 ? { approvers } : { approvals: Math.floor(r() * 3), ownersMissing: some(PATHS, 0.1) };
      if (r() < 0.3) c.review.summary = "imported from the forge";
    }
    if (r() < 0.1) c.approvers = ["Ann@Example.com"];
    if (r() < 0.1) c.lint = { errors: Math.floor(r() * 2), warnings: 1 };
    if (r() < 0.05) c.unknownCitations = ["X-1"];
    if (r() < 0.2) c.author = pick(["Ann <ann@example.com>", "dev@example.com", { name: "Cy", email: "CY@x.org" }]);
    if (r() < 0.1) c.committer = "Bo <bo@example.com>";
    if (r() < 0.3) c.sha = createHash("sha1").update(String(r())).digest("hex");
    return c;
  };
  // A compliant input (every pack passes), then at most one change: the near-pass boundary.
  const compliant = (): Input => {
    const c: CommitIn = {
      message: pick([
        "feat(api): add endpoint",
        "fix: handle empty MRN\n\nCompliance: HIPAA-164.312(b)",
        pick(MESSAGES),
      ]),
      signature: "G",
      review: { approvals: 2 + Math.floor(r() * 2), approvers: ["ann", "bo"] },
      files: some(PATHS, 0.3),
    };
    const input: Input = { commit: c, checks: { passed: [...CHECKS] }, ledger: { configured: true } };
    const change = Math.floor(r() * 8);
    if (change === 0) c.signature = pick(SIGS);
    if (change === 1) c.review = { approvals: 1 };
    if (change === 2) c.findings = [pick(FINDINGS)];
    if (change === 3) input.checks!.passed = some(CHECKS, 0.8);
    if (change === 4) c.message = `${c.message!}\n\nCompliance: SOX-ITGC-CM-9`;
    if (change === 5) c.review!.ownersMissing = ["deploy/prod.yaml"];
    return input;
  };
  const out: { input: Input; failOn: "low" | "medium" | "high" }[] = [];
  for (let i = 0; i < n; i++) {
    if (r() < 0.35) {
      out.push({ input: compliant(), failOn: pick(["low", "medium", "high"] as const) });
      continue;
    }
    const input: Input = {};
    if (r() < 0.2) input.commits = Array.from({ length: 1 + Math.floor(r() * 3) }, commit);
    else if (r() < 0.9) input.commit = commit();
    if (r() < 0.7) {
      input.checks = { passed: some(CHECKS, 0.6) };
      if (r() < 0.3) input.checks.required = some(CHECKS, 0.4);
      if (r() < 0.1) input.checks.missing = some(CHECKS, 0.2);
    }
    if (r() < 0.4) input.ledger = { configured: r() < 0.5 };
    if (r() < 0.3)
      input.range = { from: r() < 0.5 ? null : "abc123", to: "HEAD~0", shallow: r() < 0.3, complete: r() < 0.8 };
    if (r() < 0.2) input.classification = pick(["clinical", "business", "personal"]);
    out.push({ input, failOn: pick(["low", "medium", "high"] as const) });
  }
  return out;
}

const digest = (x: unknown) =>
  createHash("sha256")
    .update(canonicalize(x) ?? "")
    .digest("hex")
    .slice(0, 24);

describe("policy decisions on a corpus of 600 inputs x every built-in pack", () => {
  it("are the decisions recorded before the performance work", async () => {
    const got: Record<string, string> = {};
    const summary: Record<string, string> = {};
    for (const [i, { input, failOn }] of corpus().entries()) {
      const ds = [];
      for (const pack of BUILTIN_PACKS) {
        // as the service does: the body validated (defaults applied), then decided
        const d = await decidePolicy(pack, PolicyInputDocument.parse(input), failOn);
        ds.push(d);
        summary[pack] = (summary[pack] ?? "") + (d.decision === "pass" ? "p" : "f");
      }
      // the decisions of every pack (pass/fail, readable) and a digest of everything they hold
      got[String(i)] = `${ds.map((d) => d.decision[0]).join("")} ${digest(ds)}`;
    }
    // Both outcomes occur for every pack, so the corpus exercises failing and passing paths.
    for (const pack of BUILTIN_PACKS) expect(summary[pack]).toMatch(/p[\s\S]*f|f[\s\S]*p/);
    if (process.env.GOLDEN_WRITE) {
      mkdirSync(join(FIXTURES, "policy"), { recursive: true });
      writeFileSync(GOLDEN, JSON.stringify(got).replace(/,"/g, ',\n"') + "\n");
    }
    const want = JSON.parse(readFileSync(GOLDEN, "utf8")) as Record<string, string>;
    const differ = Object.keys(want).filter((k) => want[k] !== got[k]);
    expect(differ).toEqual([]);
    expect(Object.keys(got).length).toBe(Object.keys(want).length);
  }, 120_000);
});
