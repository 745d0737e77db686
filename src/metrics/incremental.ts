/**
 * The metrics of src/metrics/index.ts over a growing ledger without re-reading it: entries are added
 * once, in sequence order, and only those a view reads are kept, sorted by type (compliance checks,
 * deployments and incidents, LLM calls, entries with finding counts, runs, pipeline risk and plan
 * stages). A view then runs the same pure function over the entries of its time range only (ledger
 * times never decrease along the log, so a range is two binary searches), and the deployments'
 * failure and recovery attribution is computed once per growth of the log, not per request.
 * Pure: no I/O; the service (src/server/dashboard.ts) and the evidence report feed it.
 */
import type { LedgerEntry } from "../audit/types.js";
import type { Control } from "../policy/controls.js";
import {
  changeSummaries,
  compliancePosture,
  deployPlans,
  deployments,
  findingCounts,
  doraFromDeployments,
  findingsOverTime,
  llmMetrics,
  postureByScope,
  riskByCommit,
  runSummaries,
  scopeOf,
  type ChangeRisk,
  type ChangeSummary,
  type ControlPosture,
  type DeployPlanSummary,
  type Deployment,
  type DoraMetrics,
  type FindingsBucket,
  type LlmMetrics,
  type MetricsRange,
  type RunSummary,
  type ScopePosture,
} from "./index.js";

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** A list of entries by type, with the ledger times in order (else every range reads it whole). */
class TimeList {
  readonly items: LedgerEntry[] = [];
  private ordered = true;
  push(e: LedgerEntry): void {
    const last = this.items[this.items.length - 1];
    if (last && e.time < last.time) this.ordered = false;
    this.items.push(e);
  }
  /** entries with from <= time < to */
  range(r: { from: string; to: string }): LedgerEntry[] {
    if (!this.ordered) return this.items.filter((e) => e.time >= r.from && e.time < r.to);
    return this.items.slice(this.lowerBound(r.from), this.lowerBound(r.to));
  }
  private lowerBound(t: string): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid]!.time < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export class MetricsIndex {
  private count = 0;
  private readonly checks = new TimeList();
  private readonly llm = new TimeList();
  private readonly counted = new TimeList();
  private readonly delivery: LedgerEntry[] = [];
  private readonly runs: LedgerEntry[] = [];
  private readonly stages: LedgerEntry[] = [];
  private readonly firstSeen = new Map<string, number>();
  private readonly repoOf = new Map<string, string>();
  private readonly repos = new Set<string>();
  /** times of `ledger.checkpoint` entries by sequence number */
  private readonly markers = new Map<number, string>();
  private deps: { at: number; list: Deployment[] } | undefined;
  private risks: { at: number; map: Map<string, ChangeRisk> } | undefined;
  private plans: { at: number; list: DeployPlanSummary[] } | undefined;
  /** verdicts of `trustedStage` by sequence number (a signature is checked once) */
  private readonly verdicts = new Map<number, boolean>();

  /**
   * `trustedStage`: does a pipeline risk or plan record carry a trusted producer's signature (the
   * service passes src/pipeline/ledger.ts's check)? Without it, no record counts as risk evidence.
   */
  constructor(private readonly trustedStage: (e: LedgerEntry) => boolean = () => false) {}

  /** entries added so far (the next one must have this sequence number) */
  get size(): number {
    return this.count;
  }

  add(e: LedgerEntry): void {
    if (e.seq !== this.count) throw new RangeError(`entry ${e.seq} added where ${this.count} was expected`);
    this.count++;
    const subj = e.subject;
    if (subj && (subj.length === 40 || subj.length === 64) && !this.firstSeen.has(subj) && SHA.test(subj))
      this.firstSeen.set(subj, Date.parse(e.time));
    const t = e.type;
    if (t === "compliance.check") {
      this.checks.push(e);
      const { repo } = scopeOf(e);
      if (repo) {
        this.repos.add(repo);
        if (subj) this.repoOf.set(subj, repo);
      }
    } else if (t === "llm.call" || t === "llm.proxy") {
      this.llm.push(e);
      const { repo } = scopeOf(e);
      if (repo) this.repos.add(repo);
    } else if (t.startsWith("deploy.") || t.startsWith("incident.")) this.delivery.push(e);
    else if (t.startsWith("run.")) this.runs.push(e);
    else if (t === "ledger.checkpoint") this.markers.set(e.seq, e.time);
    else if (t === "pipeline.stage") {
      const stage = (e.payload as { stage?: unknown } | null)?.stage;
      if (stage === "risk" || stage === "plan") this.stages.push(e);
    }
    if (findingCounts(e.payload)) this.counted.push(e);
  }

  /** the time of the `ledger.checkpoint` entry at `seq` (a checkpoint of size seq + 1 ends with it) */
  checkpointTime(seq: number): string | null {
    return this.markers.get(seq) ?? null;
  }

  /** repositories named by compliance checks and LLM calls, sorted */
  repositories(): string[] {
    return [...this.repos].sort();
  }

  posture(range: MetricsRange, frameworks?: Control["framework"][]): ControlPosture[] {
    return compliancePosture(this.checks.range(range), range, frameworks);
  }

  postureByScope(range: MetricsRange, frameworks?: Control["framework"][]): ScopePosture[] {
    return postureByScope(this.checks.range(range), range, frameworks);
  }

  /** Deployments with failure and recovery attributed, recomputed only when deploy or incident records arrived. */
  deployments(): Deployment[] {
    if (this.deps?.at !== this.delivery.length)
      this.deps = { at: this.delivery.length, list: deployments(this.delivery, this.firstSeen) };
    return this.deps.list;
  }

  dora(range: MetricsRange): DoraMetrics {
    return doraFromDeployments(this.deployments(), range, this.repoOf);
  }

  llmMetrics(range: MetricsRange): LlmMetrics {
    return llmMetrics(this.llm.range(range), range);
  }

  findings(range: MetricsRange): FindingsBucket[] {
    return findingsOverTime(this.counted.range(range), range);
  }

  runSummaries(): RunSummary[] {
    return runSummaries(this.runs);
  }

  deployPlans(): DeployPlanSummary[] {
    if (this.plans?.at !== this.runs.length) this.plans = { at: this.runs.length, list: deployPlans(this.runs) };
    return this.plans.list;
  }

  changes(range: MetricsRange, limit = 100): ChangeSummary[] {
    if (this.risks?.at !== this.stages.length) {
      const trusted = (e: LedgerEntry) => {
        let v = this.verdicts.get(e.seq);
        if (v === undefined) this.verdicts.set(e.seq, (v = this.trustedStage(e)));
        return v;
      };
      this.risks = { at: this.stages.length, map: riskByCommit(this.stages, trusted) };
    }
    const plans = new Map(this.deployPlans().flatMap((p) => (p.commit ? [[p.commit, p] as const] : [])));
    return changeSummaries(this.checks.range(range), range, this.risks.map, plans, limit);
  }
}
