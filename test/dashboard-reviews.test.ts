/**
 * The dashboard's changes API shows review data per change: the pull request the gated commit
 * belongs to, its approvers and whether each approval was current and counted, computed by the
 * same domain function as the evidence report (`pullReviews`). Review records reach the ledger
 * through the real webhook route (signed by the service); a record signed by nobody the service
 * trusts does not show. Real service on 127.0.0.1 port 0, a directory ledger, no browser.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac, randomUUID } from "node:crypto";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { openLedger } from "../src/audit/index.js";
import type { AuditLedger } from "../src/audit/ledger.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { noteSigner, recordReviewEvidence } from "../src/review/evidence.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { makeTempDir } from "./helpers/repo.js";

const SECRET = "dashboard-webhook-secret";
const C1 = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";
const C2 = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2";
const MERGED = "abcdef0123456789abcdef0123456789abcdef01";
const OTHER = "0123456789abcdef0123456789abcdef01234567";

const prBody = (head: string, merged: string | null) => ({
  number: 7,
  state: merged ? "closed" : "open",
  merged: Boolean(merged),
  merge_commit_sha: merged,
  user: { login: "dana-dev", id: 101 },
  head: { sha: head, ref: "feature" },
  base: { ref: "main", sha: "1".repeat(40) },
});
const reviewEvent = (who: { login: string; id: number }, commit: string, id: number, at: string) => ({
  action: "submitted",
  review: { id, user: who, state: "approved", commit_id: commit, submitted_at: at },
  pull_request: prBody(C2, null),
  repository: { full_name: "acme/ehr" },
});

describe("dashboard changes API: review data per change", () => {
  let app: FastifyInstance;
  let base: string;
  let ledger: AuditLedger;
  let token: string;
  const key = generateNoteSigner("gitops-health-service.example.invalid");

  beforeAll(async () => {
    const dir = makeTempDir("gh-dash-reviews-");
    ledger = await openLedger(join(dir, "ledger"));
    const tokens = new FileTokenStore(join(dir, "tokens.json"));
    token = (await createToken(tokens, { name: "viewer", scopes: ["scan"] })).token;
    app = await buildApp({
      ledger,
      tokens,
      signer: key.signer,
      digestKey: "k",
      logStream: false,
      webhooks: { githubSecret: SECRET },
      dashboardVerifyDelayMs: 3_600_000,
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await ledger?.close();
  });

  const github = async (event: string, payload: unknown) => {
    const body = JSON.stringify(payload);
    const r = await fetch(`${base}/v1/webhooks/github`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
      },
      body,
    });
    expect(r.status).toBe(202);
  };

  it("a merged pull request: its approvers, the stale and the self-approval, for the change gated at its merge commit", async () => {
    // Ann approves C1, Dana (the author) approves C2, Raj approves C2; C2 was pushed after C1.
    await github("pull_request_review", reviewEvent({ login: "ann-lee", id: 202 }, C1, 1, "2026-12-06T09:00:00Z"));
    await github("push", {
      ref: "refs/heads/feature",
      before: "0".repeat(40),
      after: C2,
      forced: false,
      commits: [C1, C2].map((id, i) => ({
        id,
        message: `feat: ${i}`,
        timestamp: "2026-12-06T08:00:00Z",
        author: { email: "dana@example.invalid" },
      })),
      repository: { full_name: "acme/ehr", default_branch: "main" },
    });
    await github("pull_request_review", reviewEvent({ login: "dana-dev", id: 101 }, C2, 2, "2026-12-06T09:10:00Z"));
    await github("pull_request_review", reviewEvent({ login: "raj-rao", id: 303 }, C2, 3, "2026-12-06T09:20:00Z"));
    await github("pull_request", {
      action: "closed",
      pull_request: prBody(C2, MERGED),
      repository: { full_name: "acme/ehr" },
    });
    // Forged: a record signed by a key the service does not trust names another approver.
    const mallory = generateNoteSigner("mallory.example.invalid");
    await recordReviewEvidence(
      ledger,
      [
        {
          kind: "review",
          record: {
            forge: "github",
            repo: "acme/ehr",
            number: 7,
            reviewId: 99,
            reviewer: { login: "mallory", id: 666 },
            state: "approved",
            commit: C2,
            submittedAt: "2026-12-06T09:30:00Z",
            source: "webhook",
          },
        },
      ],
      noteSigner(mallory.signer),
    );
    const now = new Date().toISOString();
    await ledger.append({
      type: "compliance.check",
      subject: MERGED,
      actor: "ci@example.invalid",
      payload: { pack: "business", repo: "acme/ehr", classification: "business", violations: 0, failing: 0 },
    });
    await ledger.append({
      type: "compliance.check",
      subject: OTHER,
      actor: "ci@example.invalid",
      payload: { pack: "business", repo: "acme/ehr", classification: "business", violations: 0, failing: 0 },
    });
    const r = await fetch(
      `${base}/v1/dashboard/changes?to=${encodeURIComponent(new Date(Date.parse(now) + 86_400_000).toISOString())}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(r.status).toBe(200);
    const body = (await r.json()) as {
      changes: {
        commit: string;
        review: null | {
          number: number;
          approvers: string[];
          approvals: { reviewer: string; current: boolean; counted: boolean; reason: string }[];
        };
      }[];
    };
    const merged = body.changes.find((c) => c.commit === MERGED)!;
    expect(merged.review).toMatchObject({ number: 7, approvers: ["raj-rao"] });
    const by = Object.fromEntries(merged.review!.approvals.map((a) => [a.reviewer, a]));
    expect(Object.keys(by).sort()).toEqual(["ann-lee", "dana-dev", "raj-rao"]);
    expect(by["ann-lee"]).toMatchObject({ current: false, counted: false });
    expect(by["ann-lee"]!.reason).toContain(`then ${C2.slice(0, 10)} was pushed`);
    expect(by["dana-dev"]).toMatchObject({ current: true, counted: false });
    expect(by["dana-dev"]!.reason).toContain("self-approval");
    expect(by["raj-rao"]).toMatchObject({ current: true, counted: true });
    // a change no recorded pull request brought in
    expect(body.changes.find((c) => c.commit === OTHER)!.review).toBeNull();
  });
});
