import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openLedger } from "../src/audit/index.js";
import { parseConfigText } from "../src/config/load.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { approveRun, buildPlan, recordPlan, verifyContext } from "../src/guard/index.js";
import { planDigest } from "../src/guard/plan.js";
import { approvalGateStatus, DEPLOY_RUN_HEADER } from "../src/deploy/gate.js";
import { makeRepo, makeTempDir } from "./helpers/repo.js";

/** A real ledger, a real repository and a signed-note approver (carol), all in temp dirs. */
function setup() {
  const repo = makeRepo();
  repo.commit("chore: init", { "README.md": "x\n" });
  const k = generateNoteSigner("carol");
  const keyFile = join(makeTempDir("gh-gate-key-"), "carol.key");
  writeFileSync(keyFile, `${k.signerKey}\n`, { mode: 0o600 });
  // rita requests (signs the plan), carol approves: identities are keys.
  const r = generateNoteSigner("rita");
  const requesterKey = join(makeTempDir("gh-gate-key-"), "rita.key");
  writeFileSync(requesterKey, `${r.signerKey}\n`, { mode: 0o600 });
  const config = parseConfigText(
    `policy:\n  requiredChecks: []\napprovers:\n  - { name: carol, email: carol@example.com, key: "${k.verifierKey}" }\n  - { name: rita, email: rita@example.com, key: "${r.verifierKey}" }\n`,
  );
  const ctx = verifyContext(config, repo.dir);
  const plan = (image: string) =>
    buildPlan({
      command: ["gitops-health", "deploy", "promote", "api", image],
      classification: "personal",
      environment: "production",
      runId: "gate-1",
      cwd: repo.dir,
      description: `${DEPLOY_RUN_HEADER}\n${JSON.stringify({ image, approvals: 1 })}`,
    });
  return { repo, config, ctx, keyFile, requesterKey, plan };
}

describe("approvalGateStatus (library, over the ledger)", () => {
  it("answers pending, approved, then invalidated when the run is re-planned", async () => {
    const { repo, config, ctx, keyFile, requesterKey, plan } = setup();
    const ledger = await openLedger(join(repo.dir, "ledger"));
    try {
      const p1 = plan("reg/api:1");
      await recordPlan(ledger, p1, config, ctx, requesterKey);
      const d1 = planDigest(p1);
      expect((await approvalGateStatus(ledger, "gate-1", d1, { config, ctx })).status).toBe("pending");
      await approveRun(ledger, "gate-1", keyFile, "1h", ctx);
      const ok = await approvalGateStatus(ledger, "gate-1", d1, { config, ctx, head: p1.head });
      expect(ok).toMatchObject({ status: "approved", approvers: ["carol@example.com"], required: 1 });
      // Expired approvals do not count.
      expect(
        (await approvalGateStatus(ledger, "gate-1", d1, { config, ctx, now: new Date(Date.now() + 2 * 3600e3) }))
          .status,
      ).toBe("pending");
      const p2 = plan("reg/api:2");
      await recordPlan(ledger, p2, config, ctx, requesterKey);
      expect((await approvalGateStatus(ledger, "gate-1", d1, { config, ctx })).status).toBe("invalidated");
      expect((await approvalGateStatus(ledger, "gate-1", planDigest(p2), { config, ctx })).status).toBe("pending");
    } finally {
      await ledger.close();
    }
  });

  it("a run.plan entry whose digest field does not match its content is invalidated, not approved", async () => {
    const { repo, config, ctx, keyFile, requesterKey, plan } = setup();
    const ledger = await openLedger(join(repo.dir, "ledger"));
    try {
      const p1 = plan("reg/api:1");
      await recordPlan(ledger, p1, config, ctx, requesterKey);
      await approveRun(ledger, "gate-1", keyFile, "1h", ctx);
      const d1 = planDigest(p1);
      // Whoever can write the ledger swaps the image but keeps the approved digest.
      await ledger.append({ type: "run.plan", subject: "gate-1", payload: { ...plan("evil/api:6"), digest: d1 } });
      const a = await approvalGateStatus(ledger, "gate-1", d1, { config, ctx });
      expect(a.status).toBe("invalidated");
      expect(a.reason).toMatch(/does not match its digest/);
    } finally {
      await ledger.close();
    }
  });
});
