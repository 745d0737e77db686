/**
 * The evidence report's review section, through the built CLI (`gitops-health report`): per change
 * the pull request, its approvers and whether each approval was current and counted, from review
 * records signed by the repository's trusted producer; a record signed by anyone else is only
 * counted as "does not count". Real directory ledger, real keys, a signed checkpoint.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AuditLedger } from "../src/audit/ledger.js";
import { DirStore } from "../src/audit/dir-store.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { keyFileSigner, noteSigner, recordReviewEvidence } from "../src/review/evidence.js";
import type { PullRecord, ReviewRecord } from "../src/review/model.js";
import { makeProducer } from "./helpers/producer.js";
import { makeRepo } from "./helpers/repo.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const A = "a".repeat(40);
const B = "b".repeat(40);
const M = "c".repeat(40);

const pull = (number: number, commits: PullRecord["commits"]): PullRecord => ({
  forge: "github",
  repo: "acme/ehr",
  number,
  author: { login: "dana-dev", id: 101 },
  state: "merged",
  base: "main",
  head: B,
  mergeCommit: M,
  commits,
  observedAt: "2026-11-05T10:00:00.000Z",
  source: "api",
});
const review = (number: number, login: string, id: number, commit: string, reviewId: number): ReviewRecord => ({
  forge: "github",
  repo: "acme/ehr",
  number,
  reviewId,
  reviewer: { login, id },
  state: "approved",
  commit,
  submittedAt: "2026-11-05T09:00:00.000Z",
  source: "api",
});

describe("report: the review section", () => {
  it("lists each change's approvers, current or stale, counted or self; untrusted records only as a count", async () => {
    const repo = makeRepo();
    try {
      const producer = makeProducer();
      repo.write(".gitops-health.yml", `classification: business\n${producer.yaml}`);
      repo.commit("chore: init", { "README.md": "x\n" });
      const ledgerDir = join(repo.dir, ".work", "ledger");
      const ledger = new AuditLedger(await DirStore.open(ledgerDir), {
        now: () => new Date("2026-11-05T12:00:00Z"),
      });
      const commits = [
        { sha: A, parents: [], author: null, committer: null, fingerprint: "1".repeat(64) },
        { sha: B, parents: [A], author: null, committer: null, fingerprint: "2".repeat(64) },
      ];
      const signer = keyFileSigner(producer.keyFile, "gitops-health-producer");
      await recordReviewEvidence(
        ledger,
        [
          { kind: "pull", record: pull(7, commits) },
          { kind: "review", record: review(7, "ann-lee", 202, B, 1) },
          { kind: "review", record: review(7, "raj-rao", 303, A, 2) },
          { kind: "review", record: review(7, "dana-dev", 101, B, 3) },
        ],
        signer,
      );
      // An attacker's own key: a pull request #8 "approved" by zoe, signed by an untrusted producer.
      const rogue = noteSigner(generateNoteSigner("rogue.example.invalid").signer);
      await recordReviewEvidence(
        ledger,
        [
          { kind: "pull", record: pull(8, null) },
          { kind: "review", record: review(8, "zoe", 404, B, 4) },
        ],
        rogue,
      );
      const { signer: cpSigner, verifierKey } = generateNoteSigner("gitops-health/reviews");
      await ledger.checkpoint(cpSigner);
      await ledger.close();
      const r = spawnSync(
        process.execPath,
        [CLI, "report", "--ledger", ledgerDir, "--key", verifierKey, "--from", "2026-11-01", "--to", "2026-11-30"],
        { cwd: repo.dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
      );
      expect(r.status, r.stderr).toBe(0);
      const html = r.stdout;
      expect(html).toContain("<h2>Reviews</h2>");
      expect(html).toContain('data-change="acme/ehr#7"');
      expect(html).not.toContain('data-change="acme/ehr#8"');
      expect(html).toContain("2 review record(s) in the ledger do not count");
      const data = JSON.parse(
        /<script type="application\/json" id="evidence-data">([\s\S]*?)<\/script>/
          .exec(html)![1]!
          .replace(/\\u003c/g, "<"),
      ) as {
        reviews: {
          changes: {
            number: number;
            approvals: { reviewer: string; current: boolean; counted: boolean; reason: string }[];
          }[];
        };
      };
      expect(data.reviews.changes.map((c) => c.number)).toEqual([7]);
      expect(data.reviews.changes[0]!.approvals.map((a) => [a.reviewer, a.current, a.counted])).toEqual([
        ["ann-lee", true, true],
        ["raj-rao", false, false],
        ["dana-dev", true, false],
      ]);
      expect(data.reviews.changes[0]!.approvals[1]!.reason).toContain("stale");
      expect(data.reviews.changes[0]!.approvals[2]!.reason).toContain("self-approval");
    } finally {
      repo.cleanup();
    }
  });
});
