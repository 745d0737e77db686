/** src/metrics on hand-made entries: each DORA rule and the compliance posture, with the numbers worked out here. */
import { describe, expect, it } from "vitest";
import type { LedgerEntry } from "../src/audit/types.js";
import {
  compliancePosture,
  deployments,
  doraMetrics,
  frameworksOf,
  llmMetrics,
  runSummaries,
} from "../src/metrics/index.js";
import { UserError } from "../src/core/errors.js";

const H = 3_600_000;
const T0 = Date.parse("2026-01-05T00:00:00Z");
let seq = 0;
const at = (h: number) => new Date(T0 + h * H).toISOString();
function entry(type: string, h: number, payload: Record<string, unknown>, subject?: string): LedgerEntry {
  return { seq: seq++, time: at(h), type, actor: "t@example.invalid", subject, payload };
}
const deploy = (h: number, status: string, service = "api", env = "prod", commit: string | null = null) =>
  entry(
    `deploy.${status}`,
    h,
    { service, env, version: `v${h}`, status, commit, image: null, occurredAt: at(h) },
    `${service}@${env}`,
  );
const range = { from: at(0), to: at(24 * 7) };

describe("DORA metrics", () => {
  it("counts a deployment followed by a rollback or an incident before the next deployment as failed, and times recovery", () => {
    seq = 0;
    const entries = [
      deploy(1, "succeeded"), // ok: next deploy at 10 comes first
      deploy(10, "succeeded"), // failed: rollback at 12 (recovery 2 h)
      entry("deploy.rollback", 12, {
        service: "api",
        env: "prod",
        from: "v10",
        to: "v1",
        image: "img",
        action: "redeploy",
        occurredAt: at(12),
      }),
      deploy(20, "failed"), // failed: next success at 30 (recovery 10 h)
      deploy(30, "succeeded"), // failed: incident opened 31, resolved 35 (recovery 5 h)
      entry("incident.opened", 31, {
        id: "INC-1",
        service: "api",
        env: "prod",
        status: "open",
        severity: "sev2",
        occurredAt: at(31),
      }),
      entry("incident.resolved", 35, {
        id: "INC-1",
        service: "api",
        env: "prod",
        status: "resolved",
        severity: "sev2",
        occurredAt: at(35),
      }),
      deploy(40, "succeeded", "web", "prod"), // other service: the api incident does not touch it
    ];
    const m = doraMetrics(entries, range);
    expect(m.total.deployments).toBe(5);
    expect(m.total.successful).toBe(4);
    expect(m.total.failed).toBe(3);
    expect(m.total.changeFailureRate).toBeCloseTo(3 / 5);
    expect(m.total.recoveryMedianMs).toBe(5 * H);
    expect(m.total.deploymentFrequencyPerDay).toBeCloseTo(4 / 7);
    expect(m.groups.map((g) => `${g.service}@${g.env}:${g.failed}`)).toEqual(["api@prod:3", "web@prod:0"]);
    expect(m.trend).toHaveLength(1);
  });

  it("takes lead time from the commit time given, else the first ledger entry about the commit", () => {
    seq = 0;
    const c1 = "a".repeat(40);
    const c2 = "b".repeat(40);
    const entries = [
      entry("compliance.check", 2, { controls: {} }, c2),
      deploy(5, "succeeded", "api", "prod", c1),
      deploy(8, "succeeded", "api", "prod", c2),
    ];
    const d = deployments(entries, new Map([[c1, T0]]));
    expect(d.map((x) => x.leadTimeMs)).toEqual([5 * H, 6 * H]);
    expect(doraMetrics(entries, range, new Map([[c1, T0]])).total.leadTimeMedianMs).toBe(5.5 * H);
  });

  it("filters by range, service and environment; an empty range has no rates", () => {
    seq = 0;
    const entries = [deploy(1, "succeeded"), deploy(2, "succeeded", "api", "staging"), deploy(24 * 8, "succeeded")];
    expect(doraMetrics(entries, range).total.deployments).toBe(2);
    expect(doraMetrics(entries, { ...range, env: "staging" }).total.deployments).toBe(1);
    const none = doraMetrics(entries, { ...range, service: "nothing" }).total;
    expect(none.changeFailureRate).toBeNull();
    expect(none.leadTimeMedianMs).toBeNull();
  });
});

describe("compliance posture", () => {
  it("lets the latest compliance check decide and leaves the rest not evidenced", () => {
    seq = 0;
    const entries = [
      entry("compliance.check", 1, { controls: { "SOC2-CC8.1": "failed", "SOX-ITGC-CM-1": "met" } }),
      entry("compliance.check", 2, { controls: { "SOC2-CC8.1": "met", "NOT-A-CONTROL": "met" } }),
      entry("compliance.check", 24 * 9, { controls: { "SOC2-CC8.1": "failed" } }), // outside the range
    ];
    const p = compliancePosture(entries, range, frameworksOf(["soc2", "sox"]));
    const by = Object.fromEntries(p.map((c) => [c.id, c]));
    expect(by["SOC2-CC8.1"]).toMatchObject({ status: "met", met: 1, failed: 1, latestSeq: 1 });
    expect(by["SOX-ITGC-CM-1"]!.status).toBe("met");
    expect(by["SOC2-CC6.1"]!.status).toBe("not evidenced");
    expect(p.every((c) => c.framework === "SOC2" || c.framework === "SOX-ITGC")).toBe(true);
    expect(() => frameworksOf(["iso27001"])).toThrow(UserError);
  });
});

describe("LLM calls and runs", () => {
  it("counts calls and refusals by model, and runs with their approvals of the current digest", () => {
    seq = 0;
    const entries = [
      entry("llm.call", 1, { provider: "p", model: "m1", outcome: "ok" }),
      entry("llm.call", 2, { provider: "p", model: "m1", outcome: "refused" }),
      entry("llm.call", 3, { provider: "p", model: "m2", outcome: "ok" }),
      entry(
        "run.plan",
        4,
        {
          digest: "d1",
          command: "deploy",
          args: ["--now"],
          environment: "production",
          classification: "clinical",
          requester: "alice",
        },
        "r1",
      ),
      entry("run.approval", 5, { digest: "d0", approver: "bob" }, "r1"), // another plan's digest: does not count
      entry("run.approval", 6, { digest: "d1", approver: "carol" }, "r1"),
      entry(
        "run.plan",
        7,
        {
          digest: "d2",
          command: "migrate",
          args: [],
          environment: "staging",
          classification: "business",
          requester: "alice",
        },
        "r2",
      ),
    ];
    expect(llmMetrics(entries, range)).toEqual({
      calls: 3,
      refused: 1,
      byModel: [
        { model: "p/m1", calls: 2, refused: 1 },
        { model: "p/m2", calls: 1, refused: 0 },
      ],
    });
    const runs = runSummaries(entries);
    expect(runs.map((r) => [r.runId, r.state, r.approvals.map((a) => a.approver).join(",")])).toEqual([
      ["r2", "planned", ""],
      ["r1", "approved", "carol"],
    ]);
    expect(runs[1]!.command).toBe("deploy --now");
  });
});
