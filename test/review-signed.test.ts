/**
 * Signed guarded-run approvals (`approve RUN --key`) as review evidence in the gate: real git
 * repositories, a real directory ledger, real signed-note and SSH keys, `complianceCheck` with the
 * business pack. The approval counts for the commits its plan's HEAD contains, from a key that is
 * not the author's (nor the one that signed the commit, nor the requester's), and not for a commit
 * pushed after it. Forged `run.*` entries count for nothing and are reported.
 */
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openLedger } from "../src/audit/index.js";
import { parseConfigText } from "../src/config/load.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { approveRun, buildPlan, recordPlan, verifyContext } from "../src/guard/index.js";
import { complianceCheck } from "../src/policy/check.js";
import { reviewCommits, type RangeCommit } from "../src/review/approvals.js";
import { makeRepo, makeTempDir } from "./helpers/repo.js";

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

const DANA_GIT = "Dana Dev <dana@example.invalid>";

function scenario() {
  const repo = makeRepo();
  cleanups.push(() => repo.cleanup());
  const keys = makeTempDir("gh-signed-keys-");
  const note = (name: string) => {
    const k = generateNoteSigner(name);
    writeFileSync(join(keys, name), `${k.signerKey}\n`, { mode: 0o600 });
    return { file: join(keys, name), vkey: k.verifierKey };
  };
  const dana = note("dana");
  const ann = note("ann");
  const mallory = note("mallory"); // a real key, but not a configured approver
  // An SSH key Dana signs her commits with, listed in allowed signers under another principal.
  const sshPriv = join(keys, "dana-ssh");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "dana-ssh", "-f", sshPriv]);
  const sshPub = readFileSync(`${sshPriv}.pub`, "utf8").trim();
  writeFileSync(join(repo.dir, "allowed_signers"), `release-bot@example.invalid ${sshPub}\n`);
  repo.write(
    ".gitops-health.yml",
    [
      "classification: business",
      "allowedSignersFile: allowed_signers",
      "policy:\n  requiredChecks: []",
      "approvers:",
      `  - { name: dana, email: dana@example.invalid, key: "${dana.vkey}" }`,
      `  - { name: ann, email: ann@example.invalid, key: "${ann.vkey}" }`,
      "",
    ].join("\n"),
  );
  const base = repo.commit("chore: init", { "README.md": "x\n" });
  const ledgerDir = join(makeTempDir("gh-signed-ledger-"), "ledger");
  const config = () => parseConfigText(readFileSync(join(repo.dir, ".gitops-health.yml"), "utf8"));
  const withLedger = async <T>(f: (l: Awaited<ReturnType<typeof openLedger>>) => Promise<T>) => {
    const l = await openLedger(ledgerDir);
    try {
      return await f(l);
    } finally {
      await l.close();
    }
  };
  /** A run planned at the repository's current HEAD, requested by `requester`, approved by `approver`. */
  const approveHead = (runId: string, requester: string, approver: string) =>
    withLedger(async (l) => {
      const plan = buildPlan({ command: ["true"], classification: "business", runId, cwd: repo.dir });
      const ctx = verifyContext(config(), repo.dir);
      await recordPlan(l, plan, config(), ctx, requester);
      await approveRun(l, runId, approver, "7d", ctx);
      return plan.head!;
    });
  const gate = (range: string) =>
    withLedger((l) => complianceCheck({ cwd: repo.dir, config: config(), range, ledger: l }));
  return { repo, base, dana, ann, mallory, sshPriv, approveHead, gate, withLedger };
}

const rule = (r: Awaited<ReturnType<typeof complianceCheck>>, id: string) => r.rules.find((x) => x.id === id)?.result;
const control = (r: Awaited<ReturnType<typeof complianceCheck>>, id: string) =>
  r.controls.find((x) => x.id === id)?.status;
const commitOf = (r: Awaited<ReturnType<typeof complianceCheck>>, sha: string) =>
  r.reviews.commits.find((c) => c.commit === sha)!;

describe("signed run approvals as review evidence (business pack)", () => {
  it("approved by another key at the change's HEAD: counts, SOX-ITGC-CM-2 met; a commit pushed after it is stale", async () => {
    const s = scenario();
    const c1 = s.repo.commit("feat: a", { "src/a.js": "1\n" }, { author: DANA_GIT });
    const c2 = s.repo.commit("feat: b", { "src/b.js": "2\n" }, { author: DANA_GIT });
    expect(await s.approveHead("change-1", s.dana.file, s.ann.file)).toBe(c2);
    const r = await s.gate(`${s.base}..${c2}`);
    expect(rule(r, "approved-by-another")).toBe("pass");
    expect(control(r, "SOX-ITGC-CM-2")).toBe("met");
    expect(control(r, "SOC2-CC8.1")).toBe("met");
    for (const c of [c1, c2])
      expect(commitOf(r, c).approvals).toEqual([
        expect.objectContaining({ via: "signed", reviewer: "ann@example.invalid", run: "change-1", counted: true }),
      ]);

    const c3 = s.repo.commit("feat: c", { "src/c.js": "3\n" }, { author: DANA_GIT });
    const r2 = await s.gate(`${s.base}..${c3}`);
    expect(rule(r2, "approved-by-another")).toBe("fail");
    expect(control(r2, "SOX-ITGC-CM-2")).toBe("failed");
    expect(r2.rules.find((x) => x.id === "approved-by-another")!.failedCommits).toEqual([c3]);
    expect(commitOf(r2, c3).approvals).toEqual([
      expect.objectContaining({ via: "signed", current: false, counted: false }),
    ]);
    expect(commitOf(r2, c3).approvals[0]!.reason).toContain(`stale: signed approval of run change-1`);
  });

  it("attacker: an approval signed by the author's own key does not count (by identity, and by the key that signed the commit)", async () => {
    const s = scenario();
    // Dana authors; Ann requests the run; Dana's own configured key approves it.
    const c1 = s.repo.commit("feat: a", { "src/a.js": "1\n" }, { author: DANA_GIT });
    await s.approveHead("change-self", s.ann.file, s.dana.file);
    const r = await s.gate(`${s.base}..${c1}`);
    expect(rule(r, "approved-by-another")).toBe("fail");
    expect(commitOf(r, c1).approvals[0]).toMatchObject({
      counted: false,
      reason: "self-approval: the commit's author or committer",
    });

    // The commit names someone else as author but is signed with Dana's SSH key, which the
    // allowed-signers file lists as release-bot: the same key approving is still the author.
    s.repo.git("config", "gpg.format", "ssh");
    s.repo.git("config", "user.signingkey", s.sshPriv);
    s.repo.write("src/d.js", "4\n");
    s.repo.git("add", "-A");
    execFileSync("git", ["commit", "-q", "-S", "-m", "feat: d", "--author", "Someone Else <else@example.invalid>"], {
      cwd: s.repo.dir,
    });
    const c2 = s.repo.git("rev-parse", "HEAD").trim();
    await s.approveHead("change-ssh", s.ann.file, s.sshPriv);
    const r2 = await s.gate(`${c1}..${c2}`);
    expect(commitOf(r2, c2).approvals[0]).toMatchObject({
      reviewer: "release-bot@example.invalid",
      counted: false,
      reason: "self-approval: the key that signed the commit",
    });
    expect(rule(r2, "approved-by-another")).toBe("fail");
  });

  it("attacker: a change that adds its author's second key to approvers[] and approves with it does not count", async () => {
    const s = scenario();
    const alt = generateNoteSigner("dana-alt");
    const altFile = join(makeTempDir("gh-alt-"), "alt.key");
    writeFileSync(altFile, `${alt.signerKey}\n`, { mode: 0o600 });
    const cfg = readFileSync(join(s.repo.dir, ".gitops-health.yml"), "utf8");
    const c1 = s.repo.commit(
      "chore: a new approver",
      {
        ".gitops-health.yml": `${cfg}  - { name: reviewer, email: reviewer@example.invalid, key: "${alt.verifierKey}" }\n`,
      },
      { author: DANA_GIT },
    );
    await s.approveHead("change-alt", s.dana.file, altFile);
    const r = await s.gate(`${s.base}..${c1}`);
    expect(rule(r, "approved-by-another")).toBe("fail");
    expect(r.reviews.signedRejected).toEqual([
      expect.objectContaining({ runId: "change-alt", reason: "signed with a key that is not a configured approver" }),
    ]);
    // Once that change has landed on its own (the base has the approver), the key counts for later changes.
    const c2 = s.repo.commit("feat: later", { "src/l.js": "1\n" }, { author: DANA_GIT });
    await s.approveHead("change-alt-2", s.dana.file, altFile);
    expect(rule(await s.gate(`${c1}..${c2}`), "approved-by-another")).toBe("pass");
  });

  it("squash: the squash commit whose tree is the approved HEAD's is covered; the feature head must be in the clone", async () => {
    const s = scenario();
    s.repo.git("checkout", "-q", "-b", "feature");
    s.repo.commit("feat: a", { "src/a.js": "1\n" }, { author: DANA_GIT });
    const f2 = s.repo.commit("feat: b", { "src/b.js": "2\n" }, { author: DANA_GIT });
    expect(await s.approveHead("change-sq", s.dana.file, s.ann.file)).toBe(f2);
    s.repo.git("checkout", "-q", "main");
    s.repo.git("merge", "--squash", "-q", "feature");
    const sq = s.repo.commit("feat: a and b (#9)", {}, { author: DANA_GIT });
    const r = await s.gate(`${s.base}..${sq}`);
    expect(rule(r, "approved-by-another")).toBe("pass");
    expect(commitOf(r, sq).approvals[0]).toMatchObject({ via: "signed", counted: true, commit: f2 });
  });

  it("attacker: forged run entries (unsigned, a key that is not an approver, a plan rewritten to another HEAD, a copied signature) count for nothing", async () => {
    const s = scenario();
    const good = s.repo.commit("feat: reviewed", { "src/a.js": "1\n" }, { author: DANA_GIT });
    await s.approveHead("change-ok", s.dana.file, s.ann.file);
    const evil = s.repo.commit("feat: unreviewed", { "src/evil.js": "1\n" }, { author: DANA_GIT });
    await s.withLedger(async (l) => {
      const approvals: { subject?: string; payload: Record<string, unknown> }[] = [];
      for await (const e of l.query({ type: "run.approval" })) approvals.push(e as never);
      const genuine = approvals.find((a) => a.subject === "change-ok")!;
      const plans: { subject?: string; payload: Record<string, unknown> }[] = [];
      for await (const e of l.query({ type: "run.plan" })) plans.push(e as never);
      const plan = plans.find((p) => p.subject === "change-ok")!.payload;
      // 1. The genuine plan, its HEAD rewritten to the unreviewed commit, keeping the approved digest.
      await l.append({ type: "run.plan", subject: "change-ok", payload: { ...plan, head: evil } });
      // 2. The genuine signature copied onto another run whose plan names the unreviewed commit.
      await l.append({ type: "run.plan", subject: "change-evil", payload: { ...plan, head: evil } });
      await l.append({ type: "run.approval", subject: "change-evil", payload: genuine.payload });
      // 3. An unsigned approval, and one whose signature is garbage.
      await l.append({
        type: "run.approval",
        subject: "change-ok",
        payload: { digest: genuine.payload.digest, expiresAt: "2099-01-01T00:00:00.000Z" },
      });
      await l.append({
        type: "run.approval",
        subject: "change-ok",
        payload: {
          ...genuine.payload,
          approver: "zoe@example.invalid",
          signature: Buffer.alloc(64).toString("base64"),
        },
      });
    });
    // 4. Mallory's real key (not in approvers[]) signing a plan of the unreviewed commit.
    await s.withLedger(async (l) => {
      const plan = buildPlan({ command: ["true"], classification: "business", runId: "change-m", cwd: s.repo.dir });
      const { planDigest, approvalMessage } = await import("../src/guard/plan.js");
      const { signApproval } = await import("../src/core/signing.js");
      const digest = planDigest(plan);
      await l.append({ type: "run.plan", subject: "change-m", payload: { ...plan, digest } });
      const expiresAt = "2099-01-01T00:00:00.000Z";
      const sig = signApproval(approvalMessage("change-m", digest, expiresAt), s.mallory.file, {
        noteApprovers: [{ identity: "mallory@example.invalid", vkey: s.mallory.vkey }],
      });
      await l.append({ type: "run.approval", subject: "change-m", payload: { ...sig, digest, expiresAt } });
    });
    const r = await s.gate(`${s.base}..${evil}`);
    expect(r.rules.find((x) => x.id === "approved-by-another")!.failedCommits).toEqual([evil]);
    expect(commitOf(r, good).approvals.filter((a) => a.counted)).toHaveLength(1);
    expect(commitOf(r, evil).approvals.filter((a) => a.counted)).toEqual([]);
    const reasons = (r.reviews.signedRejected ?? []).map((x) => `${x.runId}: ${x.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining([
        "change-evil: no recorded plan shows this digest",
        "change-ok: no signature",
        "change-ok: signature does not match this plan",
        "change-m: signed with a key that is not a configured approver",
      ]),
    );
  });
});

describe("counting forge and signed approvals together", () => {
  it("a forge approval and a signed approval are not two people: the count is the larger set", () => {
    const sha = "a".repeat(40);
    const commit: RangeCommit = {
      sha,
      parents: [],
      authorEmail: "dana@example.invalid",
      committerEmail: "dana@example.invalid",
      fingerprint: "0".repeat(64),
      files: [],
    };
    const pull = {
      forge: "github" as const,
      repo: "acme/ehr",
      number: 1,
      author: { login: "dana", id: 1 },
      state: "merged" as const,
      base: "main",
      head: sha,
      mergeCommit: null,
      commits: null,
      observedAt: "2026-12-06T10:00:00Z",
      source: "api" as const,
    };
    const review = {
      forge: "github" as const,
      repo: "acme/ehr",
      number: 1,
      reviewId: 5,
      reviewer: { login: "ann-lee", id: 2 },
      state: "approved" as const,
      commit: sha,
      submittedAt: "2026-12-06T09:00:00Z",
      source: "api" as const,
    };
    const signed = (approver: string, fingerprint: string) => ({
      runId: `r-${approver}`,
      seq: 1,
      approver,
      fingerprint,
      head: sha,
      digest: "d",
      requesters: ["dana@example.invalid"],
      requesterKeys: [],
    });
    const coverage = new Map([[sha, { covers: new Set([sha]), after: new Set<string>() }]]);
    const one = reviewCommits(
      [commit],
      { pulls: [pull], reviews: [review], teams: [] },
      { signed: { approvals: [signed("ann@example.invalid", "SHA256:a")], coverage } },
    )[0]!;
    expect(one.approvers).toEqual(["ann-lee", "ann@example.invalid"]);
    expect(one.count).toBe(1);
    expect(one.summary).toContain("counted 1, the larger set");
    // Two keys, one identity: counted once. Two identities, one key: counted once.
    const dup = reviewCommits(
      [commit],
      { pulls: [], reviews: [], teams: [] },
      {
        signed: {
          approvals: [
            signed("raj@example.invalid", "SHA256:r"),
            signed("raj@example.invalid", "SHA256:r2"),
            signed("ray@example.invalid", "SHA256:r"),
          ],
          coverage,
        },
      },
    )[0]!;
    expect(dup.count).toBe(1);
  });
});
