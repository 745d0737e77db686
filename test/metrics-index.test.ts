/**
 * MetricsIndex (src/metrics/incremental.ts) answers exactly what the whole-ledger functions of
 * src/metrics answer, fed in pieces (as the service reads a growing ledger), for ranges that cut
 * through the data; plus the per-repository scope, the repository filter and risk per change.
 */
import { describe, expect, it } from "vitest";
import type { LedgerEntry } from "../src/audit/types.js";
import {
  changeSummaries,
  compliancePosture,
  deployPlans,
  doraMetrics,
  findingsOverTime,
  llmMetrics,
  postureByScope,
  riskByCommit,
  runSummaries,
} from "../src/metrics/index.js";
import { MetricsIndex } from "../src/metrics/incremental.js";

const H = 3_600_000;
const T0 = Date.parse("2026-03-02T00:00:00Z");
const sha = (n: number) => n.toString(16).padStart(40, "0");

/** A deterministic mixed ledger: 60 days, checks from two repositories, deploys, incidents, LLM calls, pipeline stages. */
function ledger(): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  const add = (h: number, type: string, payload: Record<string, unknown>, subject?: string) =>
    out.push({
      seq: out.length,
      time: new Date(T0 + h * H).toISOString(),
      type,
      actor: "t@example.invalid",
      subject,
      payload,
    });
  for (let i = 0; i < 600; i++) {
    const h = i * 2.4;
    const repo = i % 3 ? "acme/api" : "acme/web";
    const svc = i % 3 ? "api" : "web";
    add(
      h,
      "compliance.check",
      {
        pack: "clinical",
        repo,
        classification: i % 3 ? "clinical" : "business",
        violations: i % 11 === 0 ? 1 : 0,
        failing: i % 11 === 0 ? 1 : 0,
        controls: { "SOX-ITGC-CM-1": "met", "HIPAA-164.312(b)": i % 7 === 0 ? "failed" : "met" },
      },
      sha(i),
    );
    if (i % 2 === 0)
      add(
        h + 1,
        i % 10 === 0 ? "deploy.failed" : "deploy.succeeded",
        {
          service: svc,
          env: "prod",
          version: `v${i}`,
          status: i % 10 === 0 ? "failed" : "succeeded",
          commit: sha(i),
          occurredAt: new Date(T0 + (h + 1) * H).toISOString(),
        },
        `${svc}@prod`,
      );
    if (i % 17 === 4) {
      add(
        h + 1.5,
        "incident.opened",
        { id: `I${i}`, service: svc, env: "prod", occurredAt: new Date(T0 + (h + 1.5) * H).toISOString() },
        `I${i}`,
      );
      add(
        h + 2,
        "incident.resolved",
        { id: `I${i}`, service: svc, env: "prod", occurredAt: new Date(T0 + (h + 2) * H).toISOString() },
        `I${i}`,
      );
    }
    if (i % 5 === 0)
      add(h + 0.5, "llm.call", {
        provider: "p",
        model: i % 2 ? "a" : "b",
        outcome: i % 15 === 0 ? "refused" : "ok",
        redactions: { EMAIL: 1, MRN: i % 3 },
        ...(i % 10 === 0 ? { repo, classification: i % 3 ? "clinical" : "business" } : {}),
      });
    if (i % 25 === 0)
      add(h + 0.6, "llm.proxy", {
        repo,
        classification: i % 3 ? "clinical" : "business",
        upstream: "u",
        model: { requested: "m", resolved: "m" },
        decision: i % 50 === 0 ? "refused" : "ok",
        prompt: { sha256: "0", findings: { PHONE: 2 }, masked: {}, allowed: {}, blocked: {} },
      });
    if (i % 9 === 0) {
      add(
        h + 0.2,
        "pipeline.stage",
        {
          runId: `p${i}`,
          head: sha(i),
          stage: "risk",
          status: "passed",
          durationMs: 1,
          data: { likelihood: i % 100, level: "LOW", score: 10 },
        },
        `p${i}`,
      );
      add(
        h + 0.3,
        "pipeline.stage",
        {
          runId: `p${i}`,
          head: sha(i),
          stage: "plan",
          status: "passed",
          durationMs: 1,
          data: { strategy: "canary", tier: 2, approvals: 1 },
        },
        `p${i}`,
      );
    }
    if (i % 50 === 0)
      add(
        h + 0.4,
        "run.plan",
        {
          digest: `d${i}`,
          command: "deploy",
          args: [],
          environment: "prod",
          classification: "clinical",
          requester: "a",
        },
        `r${i}`,
      );
  }
  return out;
}

const day = (d: number) => new Date(T0 + d * 24 * H).toISOString();
const RANGES = [
  { from: day(0), to: day(60) },
  { from: day(3), to: day(17) },
  { from: day(10), to: day(40), service: "api" },
  { from: day(0), to: day(60), repo: "acme/web" },
  { from: day(5), to: day(50), repo: "acme/api", classification: "clinical" },
];

/** stands in for the producer signature check: the records of every other pipeline run count */
const trusted = (e: LedgerEntry) => Number((e.payload as { runId: string }).runId.slice(1)) % 18 === 0;

describe("MetricsIndex", () => {
  const entries = ledger();
  const index = new MetricsIndex(trusted);
  // fed in three pieces, with queries in between (caches must follow the growth)
  for (const e of entries.slice(0, 500)) index.add(e);
  index.dora(RANGES[0]!);
  index.changes(RANGES[0]!);
  for (const e of entries.slice(500, 900)) index.add(e);
  index.dora(RANGES[0]!);
  for (const e of entries.slice(900)) index.add(e);

  it("answers what the whole-ledger functions answer", () => {
    expect(index.size).toBe(entries.length);
    const checks = entries.filter((e) => e.type === "compliance.check");
    const repoOf = new Map(checks.map((e) => [e.subject!, (e.payload as { repo: string }).repo]));
    const plans = new Map(deployPlans(entries).flatMap((p) => (p.commit ? [[p.commit, p] as const] : [])));
    for (const r of RANGES) {
      expect(index.posture(r)).toEqual(compliancePosture(entries, r));
      expect(index.postureByScope(r)).toEqual(postureByScope(entries, r));
      expect(index.dora(r)).toEqual(doraMetrics(entries, r, undefined, repoOf));
      expect(index.llmMetrics(r)).toEqual(llmMetrics(entries, r));
      expect(index.findings(r)).toEqual(findingsOverTime(entries, r));
      expect(index.changes(r)).toEqual(changeSummaries(entries, r, riskByCommit(entries, trusted), plans));
    }
    expect(index.runSummaries()).toEqual(runSummaries(entries));
    expect(index.repositories()).toEqual(["acme/api", "acme/web"]);
  });

  it("filters by repository and classification, and carries risk per change", () => {
    const web = index.posture({ from: day(0), to: day(60), repo: "acme/web" });
    const webChecks = entries.filter(
      (e) => e.type === "compliance.check" && (e.payload as { repo: string }).repo === "acme/web",
    );
    const met = webChecks.filter(
      (e) => (e.payload as { controls: Record<string, string> }).controls["SOX-ITGC-CM-1"] === "met",
    );
    expect(web.find((p) => p.id === "SOX-ITGC-CM-1")).toMatchObject({ status: "met", met: met.length });
    const scopes = index.postureByScope({ from: day(0), to: day(60) });
    expect(scopes.map((s) => `${s.repo}|${s.classification}`)).toEqual(["acme/api|clinical", "acme/web|business"]);
    // deployments of web commits only (web deploys every 6th i, from i = 0)
    const d = index.dora({ from: day(0), to: day(60), repo: "acme/web" });
    expect(d.total.deployments).toBe(
      entries.filter((e) => e.type.startsWith("deploy.") && e.subject === "web@prod").length,
    );
    const all = index.changes({ from: day(0), to: day(60) }, 1000);
    expect(all.find((x) => x.commit === sha(18))).toMatchObject({
      likelihood: 18,
      level: "LOW",
      impactTier: 2,
      strategy: "canary",
      repo: "acme/web",
      verified: 2,
      unverified: 0,
    });
    // records the check does not accept are counted, never shown as risk
    expect(all.find((x) => x.commit === sha(9))).toMatchObject({
      likelihood: null,
      level: null,
      impactTier: null,
      strategy: null,
      verified: 0,
      unverified: 2,
    });
    // without a check, no record counts
    expect(riskByCommit(entries).get(sha(18))).toMatchObject({ likelihood: null, verified: 0, unverified: 2 });
    // LLM calls (gateway and proxy) and finding counts of one repository: only those that recorded it
    const webCalls = entries.filter(
      (e) => (e.type === "llm.call" || e.type === "llm.proxy") && (e.payload as { repo?: string }).repo === "acme/web",
    );
    const llmWeb = index.llmMetrics({ from: day(0), to: day(60), repo: "acme/web" });
    expect(webCalls.length).toBeGreaterThan(0);
    expect(llmWeb.calls).toBe(webCalls.length);
    expect(llmWeb.byModel.find((m) => m.model === "u/m")?.calls).toBe(
      webCalls.filter((e) => e.type === "llm.proxy").length,
    );
    const phone = index
      .findings({ from: day(0), to: day(60), repo: "acme/web" })
      .reduce((n, w) => n + (w.byClass.PHONE ?? 0), 0);
    expect(phone).toBe(2 * webCalls.filter((e) => e.type === "llm.proxy").length);
    expect(() => index.add({ ...entries[0]!, seq: 5 })).toThrow(/expected/);
  });
});
