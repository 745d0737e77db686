/**
 * `policy test`: unit tests for policies, like `opa test` or `conftest verify`. Each YAML
 * file holds cases: a pack (a built-in one or the repository's config with its overrides),
 * an input model (partial; documented defaults fill the rest) and the expected decisions.
 * Cases run through the same `evaluatePolicy` as `compliance check`.
 */
import { z } from "zod";
import { PolicyConfig, Severity, type Config } from "../config/schema.js";
import { DEFAULT_CONFIG } from "../config/fast.js";
import { UserError } from "../core/errors.js";
import { findControl } from "./controls.js";
import { compileRules, effectivePack } from "./engine.js";
import { BUILTIN_PACKS } from "./packs.js";
import {
  commitModel,
  decide,
  evaluatePolicy,
  SIGNATURE_STATUS,
  type Evaluation,
  type PolicyInput,
  type SignatureCode,
  type Violation,
} from "./evaluate.js";
import { conventionalLintSetup, lintCounts } from "../commit/lint.js";
import { SEVERITY_RANK } from "../core/vocabulary.js";

const CODES = Object.keys(SIGNATURE_STATUS) as [SignatureCode, ...SignatureCode[]];
const NAMES = Object.values(SIGNATURE_STATUS) as [string, ...string[]];

/** "Name <email>" or an object; a bare email is accepted too. */
const Person = z.union([
  z.string().min(1),
  z.object({ name: z.string().optional(), email: z.string().optional(), date: z.string().optional() }).strict(),
]);

const SignatureIn = z.union([
  z.enum([...CODES, ...NAMES] as [string, ...string[]]),
  z
    .object({
      status: z
        .enum([...CODES, ...NAMES] as [string, ...string[]])
        .describe("a %G? letter (G, U, E, X, Y, R, B, N) or its name (good, good-untrusted, ...)"),
      signer: z.string().optional(),
      key: z.string().optional(),
    })
    .strict(),
]);

const CommitIn = z
  .object({
    sha: z.string().optional(),
    message: z.string().optional(),
    author: Person.optional(),
    committer: Person.optional(),
    signature: SignatureIn.optional(),
    files: z
      .array(
        z.union([
          z.string(),
          z
            .object({
              path: z.string(),
              additions: z.number().int().min(0).default(1),
              deletions: z.number().int().min(0).default(0),
            })
            .strict(),
        ]),
      )
      .optional(),
    findings: z
      .array(
        z
          .object({
            ruleId: z.string().optional(),
            category: z.string().default("ssn"),
            severity: Severity.default("high"),
            kind: z.enum(["phi", "secret"]).optional(),
            hipaaIdentifier: z.number().int().min(0).default(0),
          })
          .strict(),
      )
      .optional(),
    // Derived from the message unless given (for inputs a real message cannot produce). Trailers: information only.
    approvers: z.array(z.string()).optional(),
    // Verified forge review evidence as the gate derives it (src/review); none when absent.
    review: z
      .object({
        pull: z.number().int().min(0).optional(),
        merge: z.enum(["", "merge", "squash", "rebase"]).optional(),
        approvals: z.number().int().min(0).optional().describe("counted approvals (default: the number of approvers)"),
        approvers: z.array(z.string()).optional().describe("logins whose approval counts"),
        ownersMissing: z.array(z.string()).optional(),
        summary: z.string().optional(),
      })
      .strict()
      .optional(),
    lint: z
      .object({ errors: z.number().int().min(0).default(0), warnings: z.number().int().min(0).default(0) })
      .strict()
      .optional(),
    unknownCitations: z.array(z.string()).optional(),
  })
  .strict();
type CommitIn = z.infer<typeof CommitIn>;

export const InputIn = z
  .object({
    classification: z.string().optional(),
    commit: CommitIn.optional(),
    commits: z.array(CommitIn).optional(),
    checks: z
      .object({
        passed: z.array(z.string()).optional(),
        required: z.array(z.string()).optional(),
        missing: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    ledger: z.object({ configured: z.boolean() }).strict().optional(),
    range: z
      .object({
        from: z.string().nullable().optional(),
        to: z.string().optional(),
        shallow: z.boolean().optional(),
        complete: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((i) => !(i.commit && i.commits), { message: "give either commit or commits, not both" });
export type InputIn = z.infer<typeof InputIn>;

const RuleOutcome = z.enum(["pass", "fail", "skip"]);
const ControlOutcome = z.enum(["met", "failed", "not evidenced"]);

const Expect = z
  .object({
    decision: z.enum(["pass", "fail"]).optional(),
    failOn: Severity.default("high").describe(
      "severity at or above which a violation fails the decision, as --fail-on",
    ),
    failed: z.array(z.string()).optional().describe("exactly these rules fail"),
    rules: z.record(z.string(), RuleOutcome).optional(),
    controls: z
      .record(z.string(), ControlOutcome)
      .optional()
      .superRefine((m, ctx) => {
        for (const id of Object.keys(m ?? {}))
          if (!findControl(id))
            ctx.addIssue({ code: "custom", message: `unknown control "${id}" (see the control catalog)`, path: [id] });
      }),
  })
  .strict()
  .refine((e) => e.decision || e.failed || e.rules || e.controls, {
    message: "expect needs at least one of decision, failed, rules, controls",
  });

const PolicyOverrides = PolicyConfig.omit({ pack: true });

const PackName = z.string().refine((p) => p === "config" || (BUILTIN_PACKS as readonly string[]).includes(p), {
  message: `unknown pack (valid: config, ${BUILTIN_PACKS.join(", ")})`,
});

const Case = z
  .object({
    name: z.string().min(1),
    pack: PackName.optional(),
    policy: PolicyOverrides.optional(),
    input: InputIn.default({}),
    expect: Expect,
  })
  .strict();

export const PolicyTestFile = z
  .object({
    pack: PackName.optional().describe('built-in pack name, or "config" for the repository configuration (default)'),
    policy: PolicyOverrides.optional(),
    defaults: InputIn.optional().describe("input fields every case starts from"),
    cases: z.array(Case).min(1),
  })
  .strict();
export type PolicyTestFile = z.infer<typeof PolicyTestFile>;

export interface CaseResult {
  file: string;
  name: string;
  pack: string;
  status: "pass" | "fail";
  decision: "pass" | "fail";
  rules: Record<string, "pass" | "fail" | "skip">;
  violations: Violation[];
  /** expected vs actual, one line per mismatch */
  diff: string[];
}

/** Documented defaults for a partial commit. */
export const DEFAULT_AUTHOR = { name: "developer", email: "dev@example.invalid", date: "2026-01-01T00:00:00Z" };
export const DEFAULT_MESSAGE = "chore: policy test change";

function person(p: z.infer<typeof Person> | undefined, fallback: { name: string; email: string; date?: string }) {
  if (p === undefined) return { ...fallback };
  if (typeof p === "string") {
    const m = /^(.*?)\s*<([^>]+)>\s*$/.exec(p);
    return { ...fallback, name: m ? m[1]! : p, email: m ? m[2]! : p };
  }
  return { ...fallback, ...p };
}

function buildCommit(c: CommitIn, i: number, lint: { errors: number; warnings: number }) {
  const author = person(c.author, DEFAULT_AUTHOR) as typeof DEFAULT_AUTHOR;
  const committer = person(c.committer, author);
  const sig = typeof c.signature === "string" ? { status: c.signature } : (c.signature ?? { status: "N" });
  const code = (
    sig.status in SIGNATURE_STATUS ? sig.status : CODES.find((k) => SIGNATURE_STATUS[k] === sig.status)!
  ) as SignatureCode;
  const model = commitModel({
    sha: c.sha ?? `commit-${i + 1}`,
    message: c.message ?? DEFAULT_MESSAGE,
    author: { name: author.name, email: author.email, date: author.date },
    committer: { name: committer.name, email: committer.email },
    signature: { code, signer: "signer" in sig ? (sig.signer ?? "") : "", key: "key" in sig ? (sig.key ?? "") : "" },
    files: (c.files ?? []).map((f) => (typeof f === "string" ? { path: f, additions: 1, deletions: 0 } : f)),
    findings: (c.findings ?? []).map((f) => {
      const kind = f.kind ?? (f.category === "secret" ? "secret" : "phi");
      return {
        ruleId: f.ruleId ?? f.category,
        category: f.category,
        severity: f.severity,
        kind,
        hipaaIdentifier: f.hipaaIdentifier,
      };
    }),
    lint,
  });
  if (c.approvers) model.approvers = c.approvers.map((a) => a.toLowerCase());
  if (c.review) {
    const approvers = c.review.approvers ?? [];
    const approvals = c.review.approvals ?? approvers.length;
    model.review = {
      pull: c.review.pull ?? (approvals ? 1 : 0),
      merge: c.review.merge ?? (approvals ? "merge" : ""),
      approvals,
      approvers,
      ownersMissing: c.review.ownersMissing ?? [],
      summary: c.review.summary ?? `${approvals} approval(s) from policy test input`,
    };
  }
  if (c.unknownCitations) model.unknownCitations = c.unknownCitations;
  return model;
}

/** Shallow-merge `defaults` under a case's input: objects merge one level, arrays and scalars replace. */
function mergeInput(defaults: InputIn | undefined, input: InputIn): InputIn {
  if (!defaults) return input;
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(input)) {
    const d = out[k];
    out[k] =
      d && typeof d === "object" && !Array.isArray(d) && v && typeof v === "object" && !Array.isArray(v)
        ? { ...d, ...v }
        : v;
  }
  // defaults.commit is the base of every commit, whether the case gives one commit or several.
  if (input.commits) {
    delete out.commit;
    if (defaults.commit) out.commits = input.commits.map((c) => ({ ...defaults.commit, ...c }));
  }
  if (input.commit) delete out.commits;
  return out as InputIn;
}

function mergePolicy(
  base: Config["policy"],
  ...over: (z.infer<typeof PolicyOverrides> | undefined)[]
): Config["policy"] {
  const p = { ...base, rules: [...base.rules], disable: [...base.disable] };
  for (const o of over) {
    if (!o) continue;
    p.rules.push(...o.rules);
    p.disable.push(...o.disable);
    if (o.requiredChecks) p.requiredChecks = o.requiredChecks;
  }
  return p;
}

/** Run every case of one parsed file. `repoConfig` is read only when a case uses pack "config". */
export async function runPolicyTestFile(
  file: string,
  t: PolicyTestFile,
  repoConfig: () => Promise<Config>,
): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const [i, c] of t.cases.entries()) {
    const where = `${file}: cases.${i} ("${c.name}")`;
    const packName = c.pack ?? t.pack ?? "config";
    const baseConfig: Config =
      packName === "config"
        ? await repoConfig()
        : { ...structuredClone(DEFAULT_CONFIG), policy: { rules: [], disable: [], pack: packName } };
    const config: Config = { ...baseConfig, policy: mergePolicy(baseConfig.policy, t.policy, c.policy) };
    let pack, rules;
    try {
      pack = effectivePack(config);
      rules = await compileRules(pack.rules);
    } catch (err) {
      if (err instanceof UserError) throw new UserError(`${where}: ${err.message}`);
      throw err;
    }
    const inp = mergeInput(t.defaults, c.input);
    const input = await policyInputFrom(inp, {
      requiredChecks: pack.requiredChecks,
      classification: packName === "config" ? config.classification : pack.classification,
    });
    const ev = evaluatePolicy(rules, input);
    out.push(compare(file, c.name, pack.name, c.expect, ev));
  }
  return out;
}

/**
 * The full input model from a partial input document (documented defaults fill the rest):
 * what `policy test` cases and the service's `POST /v1/decisions/{pack}` evaluate.
 */
export async function policyInputFrom(
  inp: InputIn,
  pack: { requiredChecks: string[]; classification: string },
): Promise<PolicyInput> {
  const given = inp.commits ?? (inp.commit ? [inp.commit] : [{}]);
  // lint counts a case gives are taken as they are; the others come from commitlint on the message
  const setup = given.every((c) => c.lint) ? undefined : await conventionalLintSetup();
  const commits = await Promise.all(
    given.map(async (c, i) =>
      buildCommit(
        c,
        i,
        c.lint
          ? { errors: c.lint.errors, warnings: c.lint.warnings }
          : await lintCounts(c.message ?? DEFAULT_MESSAGE, setup),
      ),
    ),
  );
  const required = inp.checks?.required ?? pack.requiredChecks;
  const passed = inp.checks?.passed ?? [];
  return {
    classification: inp.classification ?? pack.classification,
    range: {
      from: inp.range?.from ?? null,
      to: inp.range?.to ?? "HEAD",
      commits: commits.length,
      shallow: inp.range?.shallow ?? false,
      complete: inp.range?.complete ?? true,
    },
    checks: { required, passed, missing: inp.checks?.missing ?? required.filter((x) => !passed.includes(x)) },
    ledger: { configured: inp.ledger?.configured ?? false },
    commits,
  };
}

function compare(file: string, name: string, pack: string, e: z.infer<typeof Expect>, ev: Evaluation): CaseResult {
  const rules = Object.fromEntries(ev.rules.map((r) => [r.id, r.result]));
  const decision = decide(ev.violations, e.failOn);
  const diff: string[] = [];
  const why = (id: string) => {
    const vs = ev.violations.filter((v) => v.rule === id);
    return vs.length ? ` (${vs.map((v) => `${v.commit ?? "range"}: ${v.message}`).join("; ")})` : "";
  };
  if (e.decision && e.decision !== decision) {
    diff.push(`decision: expected ${e.decision}, got ${decision} at --fail-on ${e.failOn}`);
    for (const v of ev.violations.filter((x) => SEVERITY_RANK[x.severity] >= SEVERITY_RANK[e.failOn]))
      diff.push(`  ${v.severity} ${v.rule} (${v.commit ?? "range"}): ${v.message}`);
  }
  if (e.failed) {
    const actual = ev.rules.filter((r) => r.result === "fail").map((r) => r.id);
    const missing = e.failed.filter((x) => !actual.includes(x));
    const extra = actual.filter((x) => !e.failed!.includes(x));
    for (const m of missing) diff.push(`rule ${m}: expected fail, got ${rules[m] ?? "absent (not in the pack)"}`);
    for (const x of extra) diff.push(`rule ${x}: expected pass, got fail${why(x)}`);
  }
  for (const [id, want] of Object.entries(e.rules ?? {})) {
    const got = rules[id] ?? "absent (not in the pack)";
    if (got !== want) diff.push(`rule ${id}: expected ${want}, got ${got}${got === "fail" ? why(id) : ""}`);
  }
  for (const [id, want] of Object.entries(e.controls ?? {})) {
    const ctl = ev.controls.find((c) => c.id === findControl(id)!.id)!;
    if (ctl.status !== want) diff.push(`control ${ctl.id}: expected ${want}, got ${ctl.status}`);
  }
  return { file, name, pack, status: diff.length ? "fail" : "pass", decision, rules, violations: ev.violations, diff };
}
