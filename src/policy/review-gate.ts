/**
 * The gate's side of review evidence: reads the range's commits, CODEOWNERS (at the range's
 * base, so a change cannot name its own owners) and the facts about merges inside pull requests
 * from git, the signed review records from the ledger, and hands them to `reviewCommits`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import picomatch from "picomatch";
import { CONFIG_FILE_NAME } from "../config/schema.js";
import { parseConfigText } from "../config/load.js";
import type { VerifyContext } from "../core/signing.js";
import type { Ledger } from "../audit/types.js";
import type { Config } from "../config/schema.js";
import { git, GitError } from "../git/exec.js";
import {
  mapCommitsToPulls,
  reviewCommits,
  type CommitReview,
  type MergeFact,
  type MergeHow,
  type RangeCommit,
} from "../review/approvals.js";
import { CODEOWNERS_LOCATIONS, parseCodeOwners, type CodeOwners } from "../review/codeowners.js";
import { readReviewEvidence, type RejectedReviewEntry } from "../review/evidence.js";
import { authorFingerprint, type PullRecord } from "../review/model.js";
import { readSignedApprovals, type RejectedSignedApproval, type SignedCoverage } from "../review/signed.js";
import { sshSignatureFingerprint } from "../core/signing.js";
import type { ReviewModel } from "./evaluate.js";
import type { Pack } from "./engine.js";

export interface ReviewGateResult {
  byCommit: Map<string, { model: ReviewModel; detail: CommitReview | undefined }>;
  /** where CODEOWNERS was read, when the pack needs it */
  codeOwners?: { path: string; rev: string; errors: { line: number; message: string }[] };
  producers: string[];
  rejected: RejectedReviewEntry[];
  /** run approvals that do not count as review evidence (signature, key, plan), with why */
  signedRejected: RejectedSignedApproval[];
}

/** `approval.codeOwners` in a pack: which changed paths need a code owner's approval. */
export function ownerPathsFor(pack: Pack, config: Config): ((path: string) => boolean) | undefined {
  const mode = (pack.approval as { codeOwners?: unknown }).codeOwners;
  if (mode === "all") return () => true;
  if (mode === "critical-paths" && config.criticalPaths.length)
    return picomatch(
      config.criticalPaths.map((p) => p.pattern),
      { dot: true },
    );
  return undefined;
}

async function rangeCommits(root: string, logRange: string, files: Map<string, string[]>): Promise<RangeCommit[]> {
  const raw = await git(["log", "--no-merges", "--format=%x01%H%x00%P%x00%ae%x00%ce%x00%at%x00%B", logRange], {
    cwd: root,
  });
  return raw
    .split("\x01")
    .slice(1)
    .map((rec) => {
      const [sha, parents, ae, ce, at, body] = rec.split("\x00");
      return {
        sha: sha!,
        parents: (parents ?? "").split(" ").filter(Boolean),
        authorEmail: ae ?? "",
        committerEmail: ce ?? "",
        fingerprint: authorFingerprint(ae ?? "", Number(at), body ?? ""),
        files: files.get(sha!) ?? [],
      };
    });
}

async function readCodeOwners(root: string, rev: string): Promise<{ path: string; co: CodeOwners } | undefined> {
  for (const path of CODEOWNERS_LOCATIONS) {
    const text = await git(["show", `${rev}:${path}`], { cwd: root }).catch(() => undefined);
    if (text !== undefined) return { path, co: parseCodeOwners(text) };
  }
  return undefined;
}

const exists = (root: string, sha: string) =>
  git(["cat-file", "-e", `${sha}^{commit}`], { cwd: root }).then(
    () => true,
    () => false,
  );
const isAncestor = (root: string, a: string, b: string) =>
  git(["merge-base", "--is-ancestor", a, b], { cwd: root }).then(
    () => true,
    () => false,
  );

/**
 * A merge inside a pull request is a base merge when its other parent is on the base branch
 * (an ancestor of one of `baseTips`: the base branch as the pull request landed on it, or the
 * range's base) and its tree is exactly what git's automatic merge of its parents gives: no
 * conflict resolution or extra edit rides along.
 */
async function mergeFact(
  root: string,
  sha: string,
  parents: string[],
  inPull: Set<string>,
  baseTips: string[],
): Promise<MergeFact> {
  if (parents.length !== 2 || !baseTips.length || !(await exists(root, sha))) return "unknown";
  const outside = parents.filter((p) => !inPull.has(p));
  for (const p of outside) {
    let onBase = false;
    for (const tip of baseTips) if (!onBase && (await isAncestor(root, p, tip))) onBase = true;
    if (!onBase) return "unknown";
  }
  // Exit 0: a clean merge, its tree on the first line; 1: conflicts (the commit carries a hand
  // resolution: new content); anything else (an old git without --write-tree): not known.
  const auto = await git(["merge-tree", "--write-tree", "--no-messages", parents[0]!, parents[1]!], { cwd: root }).then(
    (o) => ({ tree: o.split("\n")[0]!.trim() }),
    (err: unknown) => (err instanceof GitError && err.status === 1 ? { tree: undefined } : undefined),
  );
  if (!auto) return "unknown";
  if (!auto.tree) return "changed";
  const tree = (await git(["rev-parse", `${sha}^{tree}`], { cwd: root })).trim();
  return tree === auto.tree ? "base-merge" : "changed";
}

/**
 * Parents of the given commits as this clone has them (commits it lacks are left out): one
 * `cat-file --batch-check` for which exist, one `rev-list --no-walk --parents` for their parents.
 */
async function gitParents(root: string, shas: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const unique = [...new Set(shas)].filter((s) => /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(s));
  if (!unique.length) return out;
  const types = lines(
    await git(["cat-file", "--batch-check=%(objectname) %(objecttype)"], {
      cwd: root,
      input: unique.join("\n") + "\n",
    }),
  );
  const present = types.filter((l) => l.endsWith(" commit")).map((l) => l.split(" ")[0]!);
  if (!present.length) return out;
  const listed = await git(["rev-list", "--no-walk=unsorted", "--parents", "--stdin"], {
    cwd: root,
    input: present.join("\n") + "\n",
  });
  for (const l of lines(listed)) {
    const [sha, ...parents] = l.trim().split(" ");
    out.set(sha!, parents);
  }
  return out;
}

/**
 * Where the base branch stood when the pull request landed in the range: the squash commit's
 * parent, the parent of the first rebased copy, or the parent of the merge commit that is not the
 * pull request's head. Undefined when the range does not show it (an open pull request, a fast-forward).
 */
async function landingBase(
  root: string,
  pull: PullRecord,
  landed: { sha: string; how: MergeHow }[],
  byId: Map<string, RangeCommit>,
): Promise<string | undefined> {
  const squash = landed.find((m) => m.how === "squash");
  if (squash) return byId.get(squash.sha)?.parents[0];
  const rebased = landed.filter((m) => m.how === "rebase").map((m) => byId.get(m.sha)!);
  if (rebased.length) {
    const set = new Set(rebased.map((c) => c.sha));
    return rebased.find((c) => !set.has(c.parents[0] ?? ""))?.parents[0];
  }
  if (!pull.mergeCommit) return undefined;
  // the merge commit that landed the head: its other parent is the base as it stood then (a push
  // may list that base commit with the pull request's, when a base merge brought it in)
  const parents = (await gitParents(root, [pull.mergeCommit])).get(pull.mergeCommit) ?? [];
  return parents.length >= 2 && parents.includes(pull.head) ? parents.find((p) => p !== pull.head) : undefined;
}

export async function reviewGate(o: {
  root: string;
  logRange: string;
  fromSha: string | null;
  head: string;
  config: Config;
  pack: Pack;
  ledger?: Ledger;
  files: Map<string, string[]>;
}): Promise<ReviewGateResult> {
  const byCommit: ReviewGateResult["byCommit"] = new Map();
  const ownerPaths = ownerPathsFor(o.pack, o.config);
  if (!o.ledger) {
    for (const sha of o.files.keys())
      byCommit.set(sha, {
        model: {
          pull: 0,
          merge: "",
          approvals: 0,
          approvers: [],
          ownersMissing: [],
          summary: "no ledger configured: review evidence is read from the ledger",
        },
        detail: undefined,
      });
    return { byCommit, producers: [], rejected: [], signedRejected: [] };
  }
  const { producerTrust } = await import("../evidence/checks.js");
  const ev = await readReviewEvidence(o.ledger, producerTrust(o.config, o.root), o.config.evidence.namespace);
  const range = await rangeCommits(o.root, o.logRange, o.files);
  const coRev = o.fromSha ?? o.head;
  const co = ownerPaths ? await readCodeOwners(o.root, coRev) : undefined;
  // Facts for the merges inside the pull requests this range brings in. Their commits' parents come
  // from git where the clone has them (a push lists commits without parents).
  const mergeFacts: Record<string, MergeFact> = {};
  const rangeBase =
    o.fromSha ??
    (await git(["rev-parse", "--verify", "--quiet", `${o.head}^1`], { cwd: o.root }).then(
      (s) => s.trim() || undefined,
      () => undefined,
    ));
  const first = mapCommitsToPulls(range, ev.pulls, ev.pushes);
  const parents = await gitParents(
    o.root,
    [...new Set([...first.values()].map((m) => m.pull))].flatMap((p) => (p.commits ?? []).map((c) => c.sha)),
  );
  const mapped = mapCommitsToPulls(range, ev.pulls, ev.pushes, parents);
  const byId = new Map(range.map((c) => [c.sha, c]));
  const landed = new Map<PullRecord, { sha: string; how: MergeHow }[]>();
  for (const [sha, m] of mapped) landed.set(m.pull, [...(landed.get(m.pull) ?? []), { sha, how: m.how }]);
  // Commits listed with a pull request that are on its base branch (a push lists what a base merge
  // brought in): facts from git, only for pull requests with merges (nothing else brings them in).
  const onBase = new Set<string>();
  for (const [pull, list] of landed) {
    const merges = (pull.commits ?? []).filter((c) => c.parents.length >= 2);
    if (!merges.length) continue;
    const landing = await landingBase(o.root, pull, list, byId);
    const tips = [...new Set([landing, rangeBase].filter((x): x is string => Boolean(x)))];
    for (const c of pull.commits ?? [])
      if (c.sha !== pull.head && parents.has(c.sha))
        for (const tip of tips)
          if (await isAncestor(o.root, c.sha, tip)) {
            onBase.add(c.sha);
            break;
          }
    const inPull = new Set((pull.commits ?? []).map((c) => c.sha).filter((sha) => !onBase.has(sha)));
    for (const c of merges) mergeFacts[c.sha] = await mergeFact(o.root, c.sha, c.parents, inPull, tips);
  }
  const approvers = await approversAtBase(o.root, o.fromSha, o.head, o.config);
  const signed = await readSignedApprovals(o.ledger, approvers.ctx).finally(approvers.cleanup);
  const coverage = await signedCoverage(
    o.root,
    range,
    o.fromSha,
    o.head,
    signed.approvals.map((a) => a.head),
  );
  for (const c of range)
    if ([...coverage.values()].some((v) => v.covers.has(c.sha) || v.after.has(c.sha)))
      c.signingKey = await signingKey(o.root, c.sha);
  const reviews = reviewCommits(range, ev, {
    ownerPaths,
    codeOwners: co?.co,
    mergeFacts,
    parents,
    onBase,
    signed: { approvals: signed.approvals, coverage },
  });
  for (const r of reviews) {
    byCommit.set(r.sha, {
      model: {
        pull: r.pull?.number ?? 0,
        merge: r.pull?.how ?? "",
        approvals: r.count,
        approvers: r.approvers,
        ownersMissing: r.ownersMissing,
        summary: r.summary,
      },
      detail: r,
    });
  }
  return {
    byCommit,
    ...(ownerPaths && co ? { codeOwners: { path: co.path, rev: coRev, errors: co.co.errors } } : {}),
    producers: ev.producers,
    rejected: ev.rejected,
    signedRejected: signed.rejected,
  };
}

const lines = (s: string) => s.split("\n").filter(Boolean);

/**
 * Whose signed approvals count: the approvers (`approvers[]`, the allowed-signers file) as the
 * range's base has them, read from git, so a change cannot add a key of its own and approve itself
 * with it. A config the base does not track but the head does was added by the range: no approver
 * counts. A config outside the repository (never tracked) is the one given.
 */
async function approversAtBase(
  root: string,
  fromSha: string | null,
  head: string,
  config: Config,
): Promise<{ ctx: VerifyContext; cleanup: () => void }> {
  const { verifyContext } = await import("../evidence/approvers.js");
  const none = { ctx: { noteApprovers: [] }, cleanup: () => {} };
  const show = (rev: string, path: string) => git(["show", `${rev}:${path}`], { cwd: root }).catch(() => undefined);
  if (!fromSha) return { ctx: verifyContext(config, root), cleanup: () => {} };
  const text = await show(fromSha, CONFIG_FILE_NAME);
  if (text === undefined)
    return (await show(head, CONFIG_FILE_NAME)) === undefined
      ? { ctx: verifyContext(config, root), cleanup: () => {} }
      : none;
  let base: Config;
  try {
    base = parseConfigText(text);
  } catch {
    return none;
  }
  const file = base.allowedSignersFile;
  if (!file) return { ctx: verifyContext(base, root), cleanup: () => {} };
  if (isAbsolute(file)) return { ctx: verifyContext(base, root), cleanup: () => {} }; // outside the repository
  const signers = await show(fromSha, file);
  if (signers === undefined)
    return { ctx: verifyContext({ ...base, allowedSignersFile: undefined }, root), cleanup: () => {} };
  const dir = mkdtempSync(join(tmpdir(), "gh-approvers-"));
  writeFileSync(join(dir, "allowed_signers"), signers);
  return {
    ctx: verifyContext(base, root, join(dir, "allowed_signers")),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Per approved head, the range commits it contains (the head and its ancestors after the range's
 * base, or a commit whose tree is exactly the approved head's: a squash or rebase of the approved
 * content) and the range commits pushed after it. Heads unrelated to the range are left out.
 */
async function signedCoverage(
  root: string,
  range: RangeCommit[],
  fromSha: string | null,
  tip: string,
  heads: string[],
): Promise<Map<string, SignedCoverage>> {
  const out = new Map<string, SignedCoverage>();
  const unique = [...new Set(heads)];
  if (!unique.length || !range.length) return out;
  const inRange = new Set(range.map((c) => c.sha));
  // Trees of the range commits and of the approved heads, in one git call each (missing heads: "missing").
  const treesOf = async (revs: string[]) =>
    lines(
      await git(["cat-file", "--batch-check=%(objectname)"], {
        cwd: root,
        input: revs.map((r) => `${r}^{tree}`).join("\n") + "\n",
      }),
    ).map((l) => (/^[0-9a-f]{40,64}$/.test(l) ? l : undefined));
  const rangeTrees = await treesOf(range.map((c) => c.sha));
  const headTrees = await treesOf(unique);
  for (const [i, head] of unique.entries()) {
    const tree = headTrees[i];
    if (!tree) continue; // not in this clone
    const covers = new Set(range.filter((_, j) => rangeTrees[j] === tree).map((c) => c.sha));
    const after = new Set<string>();
    if (inRange.has(head)) {
      const own = await git(["rev-list", "--no-merges", head, ...(fromSha ? [`^${fromSha}`] : [])], { cwd: root });
      for (const s of lines(own)) if (inRange.has(s)) covers.add(s);
      const later = await git(["rev-list", "--no-merges", "--ancestry-path", `${head}..${tip}`], { cwd: root });
      for (const s of lines(later)) if (inRange.has(s) && !covers.has(s)) after.add(s);
    }
    if (covers.size || after.size) out.set(head, { covers, after });
  }
  return out;
}

/** The fingerprint of the key that signed a commit (SSH signatures), read from the commit object. */
async function signingKey(root: string, sha: string): Promise<string | undefined> {
  const raw = await git(["cat-file", "commit", sha], { cwd: root }).catch(() => "");
  const m = /^gpgsig ([\s\S]*?-----END SSH SIGNATURE-----)/m.exec(raw.split("\n\n")[0] ?? "");
  return m ? sshSignatureFingerprint(m[1]!.replace(/\n /g, "\n")) : undefined;
}
