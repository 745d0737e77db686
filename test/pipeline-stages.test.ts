import { describe, expect, it } from "vitest";
import { checkStage, progressOf, resumePoint, STAGES } from "../src/pipeline/stages.js";
import { incidentId } from "../src/pipeline/run.js";

const passed = (n: number) => STAGES.slice(0, n).map((stage) => ({ stage, status: "passed" as const }));

describe("pipeline state machine", () => {
  it("a new run starts at checks; a run resumes at its first stage not passed or skipped", () => {
    expect(progressOf([])).toMatchObject({ state: "new", next: "checks" });
    expect(resumePoint(progressOf([]))).toBe("checks");
    const pending = [...passed(4), { stage: "approvals" as const, status: "pending" as const }];
    expect(progressOf(pending)).toMatchObject({ state: "pending-approval", next: "approvals" });
    expect(resumePoint(progressOf(pending))).toBe("approvals");
    const skipped = [...passed(4), { stage: "approvals" as const, status: "skipped" as const }];
    expect(resumePoint(progressOf(skipped))).toBe("deploy");
    // the latest outcome of a stage wins: a retried check that passed moves the run on
    expect(
      resumePoint(
        progressOf([
          { stage: "checks", status: "failed" },
          { stage: "checks", status: "passed" },
        ]),
      ),
    ).toBe("compliance");
    expect(progressOf(passed(STAGES.length))).toMatchObject({ state: "completed", next: null });
  });

  it("a failed verify needs an explicit --from; --from needs every earlier stage passed", () => {
    const rolledBack = [
      ...passed(6),
      { stage: "verify" as const, status: "failed" as const },
      { stage: "rollback" as const, status: "passed" as const },
    ];
    expect(progressOf(rolledBack).state).toBe("rolled-back");
    expect(() => resumePoint(progressOf(rolledBack))).toThrow(/--from STAGE/);
    expect(resumePoint(progressOf(rolledBack), "deploy")).toBe("deploy");
    expect(() => resumePoint(progressOf(passed(2)), "deploy")).toThrow(/stage risk has not passed/);
    expect(() => checkStage("nowhere")).toThrow(/unknown stage/);
  });

  it("incident IDs stay valid ledger labels for the longest run IDs", () => {
    expect(incidentId("rel-1")).toBe("inc-rel-1");
    const long = incidentId("r".repeat(63) + "-");
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/);
    expect(long).not.toMatch(/[-.]$/);
  });
});

describe("pipeline state read back from the ledger", () => {
  // Whoever can write to the ledger directory (or call the ledger library) can append pipeline.* entries:
  // a resumed run must count only stages a trusted producer signed, so a forged "passed" skips nothing.
  it("counts only stages signed by a trusted producer; unsigned and untrusted-key stages are reported, not used", async () => {
    const { openLedger } = await import("../src/audit/index.js");
    const { parseConfigText } = await import("../src/config/load.js");
    const { producerTrust } = await import("../src/evidence/checks.js");
    const { appendPipeline, readPipeline } = await import("../src/pipeline/ledger.js");
    const { makeProducer } = await import("./helpers/producer.js");
    const { makeTempDir } = await import("./helpers/repo.js");
    const trusted = makeProducer("ci.example.invalid");
    const attacker = makeProducer("attacker.example.invalid");
    const dir = makeTempDir("gh-pipeline-trust-");
    const config = parseConfigText(`classification: business\n${trusted.yaml}`);
    const trust = producerTrust(config, dir);
    const ns = config.evidence.namespace;
    const head = "a".repeat(40);
    const ledger = await openLedger(`${dir}/ledger`);
    try {
      await appendPipeline(
        ledger,
        "pipeline.stage",
        { runId: "rel-1", head, stage: "checks", status: "passed", durationMs: 1 },
        { keyFile: trusted.keyFile, namespace: ns },
      );
      // signed, but by a key the config does not trust
      await appendPipeline(
        ledger,
        "pipeline.stage",
        { runId: "rel-1", head, stage: "compliance", status: "passed", durationMs: 1 },
        { keyFile: attacker.keyFile, namespace: ns },
      );
      // no signature at all, written straight to the ledger
      await ledger.append({
        type: "pipeline.stage",
        subject: "rel-1",
        payload: { runId: "rel-1", head, stage: "risk", status: "passed", durationMs: 1 },
      });
      const rec = await readPipeline(ledger, "rel-1", trust);
      expect(rec.stages.map((s) => s.stage)).toEqual(["checks"]);
      expect(rec.untrusted.map((u) => u.reason)).toHaveLength(2);
      expect(rec.untrusted.find((u) => u.seq === 2)?.reason).toBe("unsigned");
      expect(resumePoint(progressOf(rec.stages))).toBe("compliance");
    } finally {
      await ledger.close();
    }
  });
});
