/**
 * GitLab merge requests known only from webhooks, through the real service (Fastify on 127.0.0.1
 * port 0, a directory ledger, X-Gitlab-Token): Push Hooks to the source branch record its commits,
 * so an approval followed by a push is stale, while a push that only merges the target branch in
 * (a clean merge, as git shows it) keeps the approval current. Payloads shaped as GitLab documents
 * them (abridged); real git; the business pack, with the service's key as the trusted producer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { openLedger } from "../src/audit/index.js";
import type { AuditLedger } from "../src/audit/ledger.js";
import { parseConfigText } from "../src/config/load.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { complianceCheck } from "../src/policy/check.js";
import { readReviewEvidence } from "../src/review/evidence.js";
import { buildApp } from "../src/server/app.js";
import { FileTokenStore } from "../src/server/tokens.js";
import { makeRepo, makeTempDir, type TempRepo } from "./helpers/repo.js";

const GL_TOKEN = "gitlab-shared-token-0123456789";
const ZERO = "0".repeat(40);
const DANA_GIT = "Dana Dev <dana@example.invalid>";
const PLANTED = "Patient Marguerite Okonkwo-Villanueva";
const PROJECT = "acme/ehr";

/** A Push Hook as GitLab documents it: commits oldest first, at most 20 listed, all counted. */
function pushHook(repo: TempRepo, before: string, shas: string[], total = shas.length) {
  return {
    object_kind: "push",
    event_name: "push",
    before,
    after: shas.at(-1),
    ref: "refs/heads/feature",
    ref_protected: false,
    checkout_sha: shas.at(-1),
    user_id: 101,
    user_name: PLANTED,
    user_username: "dana",
    user_email: "",
    project_id: 15,
    project: { id: 15, name: "ehr", path_with_namespace: PROJECT, default_branch: "main" },
    commits: shas.map((id) => {
      const [ae, aI, body] = repo.git("log", "-1", "--format=%ae%x00%aI%x00%B", id).split("\x00");
      return {
        id,
        message: body!,
        title: body!.split("\n")[0],
        timestamp: aI,
        url: `https://gitlab.example.com/${PROJECT}/-/commit/${id}`,
        author: { name: PLANTED, email: ae },
        added: [],
        modified: [],
        removed: [],
      };
    }),
    total_commits_count: total,
    repository: { name: "ehr", homepage: `https://gitlab.example.com/${PROJECT}` },
  };
}

/** A Merge Request Hook: `approved` by Raj, `update` after a push, or the merge. */
function mrHook(action: string, head: string, o: { merged?: string; oldrev?: string; user?: number } = {}) {
  return {
    object_kind: "merge_request",
    event_type: "merge_request",
    user: { id: o.user ?? 303, name: PLANTED, username: o.user === 101 ? "dana" : "raj-rao" },
    project: { id: 15, name: "ehr", path_with_namespace: PROJECT },
    object_attributes: {
      id: 99,
      iid: 7,
      target_branch: "main",
      source_branch: "feature",
      author_id: 101,
      title: PLANTED,
      state: o.merged ? "merged" : "opened",
      merge_commit_sha: null,
      squash_commit_sha: o.merged ?? null,
      last_commit: { id: head, message: PLANTED, timestamp: "2026-12-06T08:59:00+00:00" },
      updated_at: "2026-12-06 09:00:00 UTC",
      action,
      ...(o.oldrev ? { oldrev: o.oldrev } : {}),
    },
    labels: [],
    changes: {},
  };
}

describe("GitLab push hooks make approvals stale (webhook-only merge requests)", () => {
  let app: FastifyInstance;
  let base: string;
  let ledger: AuditLedger;
  let ledgerDir: string;
  const key = generateNoteSigner("gitops-health-service.example.invalid");
  let clock = Date.parse("2026-12-06T09:00:00Z");

  beforeAll(async () => {
    const dir = makeTempDir("gh-gl-webhooks-");
    ledgerDir = join(dir, "ledger");
    ledger = await openLedger(ledgerDir);
    app = await buildApp({
      ledger,
      tokens: new FileTokenStore(join(dir, "tokens.json")),
      signer: key.signer,
      digestKey: "k",
      logStream: false,
      webhooks: { gitlabToken: GL_TOKEN, now: () => new Date((clock += 60_000)) },
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await ledger?.close();
  });

  const deliver = (event: string, payload: unknown, token = GL_TOKEN) =>
    fetch(`${base}/v1/webhooks/gitlab`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-gitlab-event": event,
        "x-gitlab-event-uuid": randomUUID(),
        ...(token ? { "x-gitlab-token": token } : {}),
      },
      body: JSON.stringify(payload),
    });

  /** A fresh repository (one merge request !7 per test: the ledger is shared) and its gate. */
  function scenario() {
    const repo = makeRepo();
    repo.write(
      ".gitops-health.yml",
      `classification: business\npolicy:\n  requiredChecks: []\nevidence:\n  allowedProducers: ["${key.verifierKey}"]\n`,
    );
    const init = repo.commit("chore: init", { "README.md": "x\n" });
    const gate = async (range: string) => {
      const config = parseConfigText(repo.git("show", "HEAD:.gitops-health.yml"));
      return complianceCheck({ cwd: repo.dir, config, range, ledger });
    };
    return { repo, init, gate };
  }
  const rule = (r: Awaited<ReturnType<typeof complianceCheck>>) =>
    r.rules.find((x) => x.id === "approved-by-another")!.result;

  it("a Push Hook is verified by token and recorded (ids and hashed fingerprints only); wrong or missing token: 401", async () => {
    const { repo } = scenario();
    repo.git("checkout", "-q", "-b", "feature");
    const c1 = repo.commit("feat: a", { "src/a.js": "1\n" }, { author: DANA_GIT });
    const before = await ledger.size();
    expect((await deliver("Push Hook", pushHook(repo, ZERO, [c1]), "wrong")).status).toBe(401);
    expect((await deliver("Push Hook", pushHook(repo, ZERO, [c1]), "")).status).toBe(401);
    expect(await ledger.size()).toBe(before);
    const ok = await deliver("Push Hook", pushHook(repo, ZERO, [c1]));
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ records: ["push"] });
    const main = { ...pushHook(repo, ZERO, [c1]), ref: "refs/heads/main" };
    expect(await (await deliver("Push Hook", main)).json()).toMatchObject({ ignored: "push to the default branch" });
    const ev = await readReviewEvidence(
      ledger,
      { notes: [{ identity: "gitops-health-service.example.invalid", vkey: key.verifierKey }] },
      "gitops-health-producer",
    );
    const p = ev.pushes!.find((x) => x.after === c1)!;
    expect(p).toMatchObject({ forge: "gitlab", repo: PROJECT, ref: "refs/heads/feature", forced: false });
    expect(p.truncated).toBeUndefined();
    expect(JSON.stringify(p)).not.toMatch(/Marguerite|example\.invalid|feat: a/);
  });

  it("approved, then a push to the source branch: stale, the gate fails; approved again at the new head: passes", async () => {
    const { repo, init, gate } = scenario();
    repo.git("checkout", "-q", "-b", "feature");
    const c1 = repo.commit("feat: a", { "src/a.js": "1\n" }, { author: DANA_GIT });
    const c2 = repo.commit("feat: b", { "src/b.js": "2\n" }, { author: DANA_GIT });
    repo.git("checkout", "-q", "main");
    repo.git("merge", "--squash", "-q", "feature");
    const sq = repo.commit("feat: a and b", {}, { author: DANA_GIT });
    for (const [event, body] of [
      ["Push Hook", pushHook(repo, ZERO, [c1])],
      ["Merge Request Hook", mrHook("open", c1, { user: 101 })],
      ["Merge Request Hook", mrHook("approved", c1)],
      ["Push Hook", pushHook(repo, c1, [c2])],
      ["Merge Request Hook", mrHook("update", c2, { oldrev: c1, user: 101 })],
      ["Merge Request Hook", mrHook("merge", c2, { merged: sq, user: 101 })],
    ] as const)
      expect((await deliver(event, body)).status).toBe(202);
    const r = await gate(`${init}..${sq}`);
    expect(r.reviews.commits[0]).toMatchObject({ pull: { forge: "gitlab", number: 7, how: "squash" } });
    expect(r.reviews.commits[0]!.approvals[0]!.reason).toBe(
      `stale: approved ${c1.slice(0, 10)}, then ${c2.slice(0, 10)} was pushed`,
    );
    expect(rule(r)).toBe("fail");
    expect((await deliver("Merge Request Hook", mrHook("approved", c2))).status).toBe(202);
    expect(rule(await gate(`${init}..${sq}`))).toBe("pass");
  });

  it("approved, then only the target branch merged in (a clean merge): still current; a truncated push is recorded as such", async () => {
    const { repo, init, gate } = scenario();
    repo.git("checkout", "-q", "-b", "feature");
    const c1 = repo.commit("feat: c", { "src/c.js": "1\n" }, { author: DANA_GIT });
    repo.git("checkout", "-q", "main");
    const m1 = repo.commit("fix: on main", { "src/main.js": "m\n" });
    repo.git("checkout", "-q", "feature");
    repo.git("merge", "-q", "--no-edit", "main");
    const merge = repo.git("rev-parse", "HEAD").trim();
    repo.git("checkout", "-q", "main");
    repo.git("merge", "--squash", "-q", "feature");
    const sq = repo.commit("feat: c", {}, { author: DANA_GIT });
    for (const [event, body] of [
      ["Push Hook", pushHook(repo, ZERO, [c1])],
      ["Merge Request Hook", mrHook("approved", c1)],
      // GitLab lists the pushed commits that are new to the branch: main's commit and the merge
      ["Push Hook", pushHook(repo, c1, [m1, merge])],
      ["Merge Request Hook", mrHook("merge", merge, { merged: sq, user: 101 })],
    ] as const)
      expect((await deliver(event, body)).status).toBe(202);
    // The range starts before main moved: the merge's other parent is on main as the request landed.
    const r = await gate(`${init}..${sq}`);
    const view = r.reviews.commits.find((c) => c.commit === sq)!;
    expect(view.approvals[0]).toMatchObject({ reviewer: "raj-rao", current: true, counted: true });
    expect(view.approvals[0]!.reason).toContain("later commits only merge the base branch");
    expect(r.reviews.commits.find((c) => c.commit === sq)!.summary).toContain("1 current approval");

    // 25 commits pushed, GitLab lists the latest 20: recorded as truncated, nothing made up.
    const res = await deliver("Push Hook", pushHook(repo, c1, [m1, merge], 25));
    expect(res.status).toBe(202);
    const ev = await readReviewEvidence(
      ledger,
      { notes: [{ identity: "gitops-health-service.example.invalid", vkey: key.verifierKey }] },
      "gitops-health-producer",
    );
    expect(ev.pushes!.filter((p) => p.after === merge).map((p) => p.truncated ?? false)).toEqual([false, true]);
  });
});
