import { z } from "zod";
import type { Config } from "../config/schema.js";
import { UserError } from "../core/errors.js";
import { git, isShallow, repoRoot } from "../git/exec.js";
import { LOG_PATCH_FORMAT } from "../git/diff.js";
import { lintMessage, parseCommitMessage } from "../commit/message.js";
import { scanDiffArgs } from "../scan/index.js";
import { CONTROLS, findControl } from "./controls.js";
import { compileRules, effectivePack, type Pack } from "./engine.js";
import type { Ledger } from "../audit/types.js";

export interface Violation {
  rule: string;
  severity: "low" | "medium" | "high";
  commit?: string;
  message: string;
  controls: string[];
}

export interface ControlStatus {
  id: string;
  title: string;
  status: "met" | "failed" | "not evidenced";
  rules: string[];
  failedCommits: string[];
}

export interface ComplianceReport {
  pack: string;
  classification: string;
  range: { from: string | null; to: string; commits: number; shallow: boolean };
  violations: Violation[];
  controls: ControlStatus[];
  rulesEvaluated: number;
}

const SIG: Record<string, string> = { G: "good", B: "bad", U: "good-untrusted", X: "expired", Y: "expired-key", R: "revoked", E: "unverifiable", N: "none" };

/** Evaluate the pack's rules over every commit in the range; build the control report. */
export async function complianceCheck(o: { cwd: string; config: Config; range?: string; pack?: string; ledger?: Ledger }): Promise<ComplianceReport> {
  const root = repoRoot(o.cwd);
  if (!root) throw new UserError("compliance check needs a git repository");
  const pack: Pack = effectivePack(o.config, o.pack);
  const rules = await compileRules(pack.rules);
  const range = o.range ?? "HEAD";
  const [fromRev, toRev] = range.includes("..") ? (range.split(/\.\.\.?/) as [string, string]) : [null, range];
  for (const rev of [fromRev, toRev]) {
    if (rev && (await git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { cwd: root }).catch(() => "")) === "") throw new UserError(`unknown revision in range: ${rev}`);
  }
  const logRange = fromRev ? range : `${toRev}^!`;
  const cfgArgs = o.config.allowedSignersFile ? ["-c", `gpg.ssh.allowedSignersFile=${o.config.allowedSignersFile}`] : [];
  const raw = await git([...cfgArgs, "log", "--no-merges", "--numstat", "--format=%x01%H%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%G?%x00%GS%x00%GK%x00%B%x02", logRange], { cwd: root });
  interface C { sha: string; author: { name: string; email: string; date: string }; committer: { name: string; email: string }; signature: { status: string; signer: string; key: string }; message: string; files: { path: string; additions: number; deletions: number }[] }
  const commits: C[] = [];
  for (const rec of raw.split("\x01").slice(1)) {
    const [head, tail = ""] = rec.split("\x02");
    const [sha, an, ae, ad, cn, ce, g, gs, gk, body] = head!.split("\x00");
    const files = tail.split("\n").map((l) => /^(\d+|-)\t(\d+|-)\t(.+)$/.exec(l)).filter(Boolean).map((m) => ({ path: m![3]!, additions: m![1] === "-" ? 0 : Number(m![1]), deletions: m![2] === "-" ? 0 : Number(m![2]) }));
    commits.push({ sha: sha!, author: { name: an!, email: ae!.toLowerCase(), date: ad! }, committer: { name: cn!, email: ce!.toLowerCase() }, signature: { status: SIG[g!] ?? "none", signer: gs ?? "", key: gk ?? "" }, message: (body ?? "").trim(), files });
  }
  const scan = await scanDiffArgs(["log", "-p", "-U0", "--no-color", "--no-renames", "--no-merges", LOG_PATCH_FORMAT, logRange], { cwd: root, scan: o.config.scan });
  const findingsBy = new Map<string, { ruleId: string; category: string; severity: string; kind: string; hipaaIdentifier: number }[]>();
  for (const f of scan.findings) {
    const l = findingsBy.get(f.commit ?? "") ?? [];
    l.push({ ruleId: f.ruleId, category: f.category, severity: f.severity, kind: f.category === "secret" ? "secret" : "phi", hipaaIdentifier: f.hipaaIdentifier ?? 0 });
    findingsBy.set(f.commit ?? "", l);
  }
  const head = commits[0]?.sha ?? (await git(["rev-parse", toRev], { cwd: root })).trim();
  const passed = new Set<string>();
  if (o.ledger) {
    const latest = new Map<string, string>();
    for await (const e of o.ledger.query({ type: "check", subject: head })) {
      const p = e.payload as { name?: string; status?: string };
      if (p.name) latest.set(p.name, String(p.status));
    }
    for (const [n, s] of latest) if (s === "passed") passed.add(n);
  }
  const shallow = isShallow(root);
  const base = {
    classification: o.config.classification,
    range: { from: fromRev, to: toRev, commits: commits.length, shallow },
    checks: { required: pack.requiredChecks, passed: [...passed], missing: pack.requiredChecks.filter((c) => !passed.has(c)) },
    ledger: { configured: Boolean(o.ledger) },
  };
  const violations: Violation[] = [];
  const outcome = new Map<string, { evaluated: boolean; failed: Set<string> }>();
  const record = (rule: (typeof rules)[number], ok: boolean, commit?: string, error?: string) => {
    const o2 = outcome.get(rule.id) ?? { evaluated: false, failed: new Set<string>() };
    o2.evaluated = true;
    if (!ok) {
      o2.failed.add(commit ?? "(range)");
      violations.push({ rule: rule.id, severity: rule.severity, ...(commit ? { commit } : {}), message: error ? `rule error: ${error}` : rule.message ?? rule.description ?? rule.id, controls: rule.controls });
    }
    outcome.set(rule.id, o2);
  };
  for (const c of commits) {
    const parsed = parseCommitMessage(c.message);
    const problems = lintMessage(c.message);
    const citations = (parsed.trailers["Compliance"] ?? []).flatMap((v) => v.split(/[,\s]+/)).filter(Boolean);
    const approvers = [...(parsed.trailers["Approved-by"] ?? []), ...(parsed.trailers["Reviewed-by"] ?? [])].map((a) => (/<([^>]+)>/.exec(a)?.[1] ?? a).trim().toLowerCase());
    const commit = {
      sha: c.sha,
      message: c.message,
      header: { type: parsed.type ?? "", scope: parsed.scope ?? "", subject: parsed.subject ?? "", breaking: parsed.breaking },
      trailers: parsed.trailers,
      author: c.author,
      committer: c.committer,
      signature: c.signature,
      files: c.files,
      findings: findingsBy.get(c.sha) ?? [],
      approvers: [...new Set(approvers)],
      lint: { errors: problems.filter((p) => p.level === 2).length, warnings: problems.filter((p) => p.level === 1).length },
      unknownCitations: citations.filter((x) => !findControl(x)),
    };
    for (const r of rules.filter((x) => x.scope === "commit")) {
      const res = r.run({ ...base, commit });
      record(r, res.ok, c.sha, res.error);
    }
  }
  for (const r of rules.filter((x) => x.scope === "range")) {
    const res = r.run({ ...base, commit: {} });
    record(r, res.ok, undefined, res.error);
  }
  const controls: ControlStatus[] = CONTROLS.map((ctl) => {
    const rs = rules.filter((r) => r.controls.some((c) => findControl(c)?.id === ctl.id));
    const evaluated = rs.filter((r) => outcome.get(r.id)?.evaluated);
    const failed = rs.filter((r) => (outcome.get(r.id)?.failed.size ?? 0) > 0);
    return { id: ctl.id, title: ctl.title, status: evaluated.length === 0 ? "not evidenced" : failed.length ? "failed" : "met", rules: rs.map((r) => r.id), failedCommits: [...new Set(failed.flatMap((r) => [...outcome.get(r.id)!.failed]))] };
  });
  return { pack: pack.name, classification: o.config.classification, range: base.range, violations, controls, rulesEvaluated: rules.length };
}

export const CheckRecord = z.object({ name: z.string().regex(/^[a-z][a-z0-9_-]{0,40}$/), status: z.enum(["passed", "failed"]) });
