/**
 * Forge webhooks on the real service (Fastify on 127.0.0.1 port 0, a directory ledger): payloads
 * shaped as GitHub and GitLab document them, signed, tampered, unsigned and with the wrong secret.
 * Nothing is parsed or recorded before the signature verifies; what is recorded is signed with the
 * service's key and verifies against it as a trusted producer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { openLedger } from "../src/audit/index.js";
import type { AuditLedger } from "../src/audit/ledger.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { readReviewEvidence } from "../src/review/evidence.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { makeTempDir } from "./helpers/repo.js";

const GH_SECRET = "It's a Secret to Everybody";
const GL_TOKEN = "gitlab-shared-token-0123456789";
const HEAD = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
const MERGED = "abcdef0123456789abcdef0123456789abcdef01";
// Planted in free-text fields the records must not copy.
const PLANTED = "Patient Marguerite Okonkwo-Villanueva";

/** A `pull_request_review` delivery as GitHub documents it (abridged: fields the service ignores trimmed). */
const ghReview = (state = "approved", action = "submitted") => ({
  action,
  review: {
    id: 80,
    node_id: "MDE3OlB1bGxSZXF1ZXN0UmV2aWV3ODA=",
    user: { login: "ann-lee", id: 202, type: "User" },
    body: PLANTED,
    commit_id: HEAD,
    submitted_at: "2026-12-06T09:00:00Z",
    state,
    author_association: "MEMBER",
  },
  pull_request: {
    id: 279147437,
    number: 7,
    state: "open",
    locked: false,
    title: PLANTED,
    user: { login: "dana-dev", id: 101, type: "User" },
    body: "",
    created_at: "2026-12-06T08:00:00Z",
    merged_at: null,
    merge_commit_sha: "0000000000000000000000000000000000000000",
    head: { label: "acme:feature", ref: "feature", sha: HEAD },
    base: { label: "acme:main", ref: "main", sha: "1111111111111111111111111111111111111111" },
    author_association: "MEMBER",
  },
  repository: { id: 186853002, name: "ehr", full_name: "acme/ehr", private: true },
  sender: { login: "ann-lee", id: 202 },
});

const ghClosed = () => ({
  action: "closed",
  number: 7,
  pull_request: {
    ...ghReview().pull_request,
    state: "closed",
    merged: true,
    merged_at: "2026-12-06T10:00:00Z",
    merge_commit_sha: MERGED,
  },
  repository: { id: 186853002, name: "ehr", full_name: "acme/ehr" },
  sender: { login: "dana-dev", id: 101 },
});

/** A GitLab Merge Request Hook for an approval, as GitLab documents it (abridged). */
const glApproval = (action = "approved") => ({
  object_kind: "merge_request",
  event_type: "merge_request",
  user: {
    id: 303,
    name: PLANTED,
    username: "raj-rao",
    avatar_url: "https://gitlab.example.com/a.png",
    email: "[REDACTED]",
  },
  project: { id: 1, name: "ehr", path_with_namespace: "acme/ehr", web_url: "https://gitlab.example.com/acme/ehr" },
  object_attributes: {
    id: 99,
    iid: 7,
    target_branch: "main",
    source_branch: "feature",
    author_id: 101,
    title: PLANTED,
    state: "opened",
    merge_commit_sha: null,
    last_commit: {
      id: HEAD,
      message: PLANTED,
      timestamp: "2026-12-06T08:59:00+00:00",
      author: { name: PLANTED, email: "dana@example.invalid" },
    },
    updated_at: "2026-12-06 09:00:00 UTC",
    action,
  },
  labels: [],
  changes: {},
});

const sign = (body: string, secret = GH_SECRET) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

describe("forge webhooks", () => {
  let app: FastifyInstance;
  let bare: FastifyInstance;
  let base: string;
  let bareBase: string;
  let ledger: AuditLedger;
  let dir: string;
  let appendToken: string;
  const key = generateNoteSigner("gitops-health-service.example.invalid");
  const trust = { notes: [{ identity: "gitops-health-service.example.invalid", vkey: key.verifierKey }] };

  beforeAll(async () => {
    dir = makeTempDir("gh-webhooks-");
    ledger = await openLedger(join(dir, "ledger"));
    const tokens = new FileTokenStore(join(dir, "tokens.json"));
    appendToken = (await createToken(tokens, { name: "appender", scopes: ["ledger:append"] })).token;
    app = await buildApp({
      ledger,
      tokens,
      signer: key.signer,
      digestKey: "k",
      logStream: false,
      webhooks: { githubSecret: GH_SECRET, gitlabToken: GL_TOKEN },
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    bare = await buildApp({ ledger, tokens, digestKey: "k", logStream: false });
    bareBase = await bare.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await bare?.close();
    await ledger?.close();
  });

  const post = (path: string, body: string, headers: Record<string, string>, at = base) =>
    fetch(at + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const github = (event: string, payload: unknown, sig?: string, raw?: string, delivery = randomUUID()) => {
    const body = raw ?? JSON.stringify(payload);
    return post("/v1/webhooks/github", body, {
      "x-github-event": event,
      "x-github-delivery": delivery,
      ...(sig === undefined ? { "x-hub-signature-256": sign(body) } : sig === "" ? {} : { "x-hub-signature-256": sig }),
    });
  };

  it("a signed pull_request_review is recorded as signed review evidence the service's key vouches for", async () => {
    const before = await ledger.size();
    const res = await github("pull_request_review", ghReview());
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ records: ["pull", "review"] });
    expect(await ledger.size()).toBe(before + 2);
    const ev = await readReviewEvidence(ledger, trust, "gitops-health-producer");
    expect(ev.rejected).toEqual([]);
    expect(ev.producers).toEqual(["gitops-health-service.example.invalid"]);
    expect(ev.reviews).toEqual([
      {
        forge: "github",
        repo: "acme/ehr",
        number: 7,
        reviewId: 80,
        reviewer: { login: "ann-lee", id: 202 },
        state: "approved",
        commit: HEAD,
        submittedAt: "2026-12-06T09:00:00Z",
        source: "webhook",
      },
    ]);
    expect(ev.pulls[0]).toMatchObject({
      author: { login: "dana-dev", id: 101 },
      state: "open",
      head: HEAD,
      mergeCommit: null,
      commits: null,
    });
    // Free text (titles, review bodies, names) is never copied into the ledger.
    for (const f of readdirSync(join(dir, "ledger")))
      if (f.endsWith(".log")) expect(readFileSync(join(dir, "ledger", f), "utf8")).not.toContain("Okonkwo");
  });

  it("a closed-and-merged pull_request records the merge commit", async () => {
    const res = await github("pull_request", ghClosed());
    expect(res.status).toBe(202);
    const ev = await readReviewEvidence(ledger, trust, "gitops-health-producer");
    expect(ev.pulls.at(-1)).toMatchObject({ state: "merged", mergeCommit: MERGED });
  });

  it("tampered, unsigned, wrongly keyed: 401 problem, nothing parsed, nothing recorded", async () => {
    const before = await ledger.size();
    const body = JSON.stringify(ghReview());
    const tampered = body.replace('"login":"ann-lee","id":202', '"login":"ann-lee","id":203');
    expect(tampered).not.toBe(body);
    const cases = [
      github("pull_request_review", undefined, sign(body), tampered),
      github("pull_request_review", ghReview(), ""),
      github("pull_request_review", ghReview(), sign(body, "another secret")),
      github("pull_request_review", undefined, sign(body).replace(/.$/, "0"), body.replace(/}$/, " }")),
      github("pull_request_review", undefined, "sha1=" + "0".repeat(40), body),
    ];
    for (const r of await Promise.all(cases)) {
      expect(r.status).toBe(401);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
    // Signed garbage is verified first, then refused as malformed (400), still unrecorded.
    const junk = "{not json";
    expect(
      (
        await post("/v1/webhooks/github", junk, {
          "x-github-event": "pull_request_review",
          "x-hub-signature-256": sign(junk),
        })
      ).status,
    ).toBe(400);
    const wrongShape = await github("pull_request_review", { action: "submitted", review: { id: 1 } });
    expect(wrongShape.status).toBe(400);
    expect(((await wrongShape.json()) as { detail: string }).detail).toContain(
      "not a GitHub event of the documented shape",
    );
    expect(await ledger.size()).toBe(before);
  });

  it("GitLab approval and unapproval with the right token are recorded; a wrong or missing token is 401", async () => {
    const before = await ledger.size();
    const body = JSON.stringify(glApproval());
    expect(
      (await post("/v1/webhooks/gitlab", body, { "x-gitlab-event": "Merge Request Hook", "x-gitlab-token": "wrong" }))
        .status,
    ).toBe(401);
    expect((await post("/v1/webhooks/gitlab", body, { "x-gitlab-event": "Merge Request Hook" })).status).toBe(401);
    expect(await ledger.size()).toBe(before);
    const ok = await post("/v1/webhooks/gitlab", body, {
      "x-gitlab-event": "Merge Request Hook",
      "x-gitlab-token": GL_TOKEN,
    });
    expect(ok.status).toBe(202);
    const un = await post("/v1/webhooks/gitlab", JSON.stringify(glApproval("unapproved")), {
      "x-gitlab-event": "Merge Request Hook",
      "x-gitlab-token": GL_TOKEN,
    });
    expect(un.status).toBe(202);
    const ev = await readReviewEvidence(ledger, trust, "gitops-health-producer");
    const gl = ev.reviews.filter((r) => r.forge === "gitlab");
    expect(gl.map((r) => [r.reviewer.login, r.reviewer.id, r.state, r.commit, r.submittedAt])).toEqual([
      ["raj-rao", 303, "approved", HEAD, "2026-12-06T09:00:00.000Z"],
      ["raj-rao", 303, "dismissed", HEAD, "2026-12-06T09:00:00.000Z"],
    ]);
  });

  it("attacker: a replayed delivery (same X-GitHub-Delivery) records nothing, so an old approval cannot outlive its dismissal", async () => {
    const id = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
    const first = await github("pull_request_review", ghReview(), undefined, undefined, id);
    expect(first.status).toBe(202);
    const dismissed = await github("pull_request_review", ghReview("dismissed", "dismissed"));
    expect(dismissed.status).toBe(202);
    const before = await ledger.size();
    const replay = await github("pull_request_review", ghReview(), undefined, undefined, id);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ recorded: [], duplicate: id });
    expect(await ledger.size()).toBe(before);
    // GitLab's event UUID is honoured the same way.
    const glBody = JSON.stringify(glApproval());
    const gl = (uuid: string) =>
      post("/v1/webhooks/gitlab", glBody, {
        "x-gitlab-event": "Merge Request Hook",
        "x-gitlab-token": GL_TOKEN,
        "x-gitlab-event-uuid": uuid,
      });
    expect((await gl("13792a34-cac6-4fda-95a8-c58e00a3954e")).status).toBe(202);
    expect((await gl("13792a34-cac6-4fda-95a8-c58e00a3954e")).status).toBe(200);
    expect((await gl("not a uuid!")).status).toBe(400);
  });

  it("attacker: concurrent deliveries of one id (a captured request fired in parallel) are recorded exactly once", async () => {
    const before = await ledger.size();
    const id = randomUUID();
    const body = JSON.stringify(ghReview());
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => github("pull_request_review", undefined, undefined, body, id)),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    // one pull record and one review record
    expect(await ledger.size()).toBe(before + 2);
    const withId: number[] = [];
    for await (const e of ledger.query({ type: "review.*" }))
      if ((e.payload as { delivery?: string }).delivery === id) withId.push(e.seq);
    expect(withId).toHaveLength(2);
    // GitLab: the same, keyed by X-Gitlab-Event-UUID
    const uuid = randomUUID();
    const gl = await Promise.all(
      Array.from({ length: 6 }, () =>
        post("/v1/webhooks/gitlab", JSON.stringify(glApproval()), {
          "x-gitlab-event": "Merge Request Hook",
          "x-gitlab-token": GL_TOKEN,
          "x-gitlab-event-uuid": uuid,
        }),
      ),
    );
    expect(gl.filter((r) => r.status === 202)).toHaveLength(1);
    expect(gl.filter((r) => r.status === 200)).toHaveLength(5);
    expect(await ledger.size()).toBe(before + 4);
  });

  it("without a configured secret the webhook answers 503 and records nothing", async () => {
    const body = JSON.stringify(ghReview());
    const r = await post(
      "/v1/webhooks/github",
      body,
      { "x-github-event": "pull_request_review", "x-hub-signature-256": sign(body) },
      bareBase,
    );
    expect(r.status).toBe(503);
  });

  it("generic ledger appends cannot forge review evidence (review.* is reserved)", async () => {
    const r = await fetch(base + "/v1/ledger/entries", {
      method: "POST",
      headers: { authorization: `Bearer ${appendToken}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "review.review", subject: "github:acme/ehr#7", payload: { state: "approved" } }),
    });
    expect(r.status).toBe(403);
  });
});
