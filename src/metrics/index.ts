/**
 * Delivery (DORA) and compliance metrics computed from ledger entries: pure, no I/O. The dashboard
 * (src/server/dashboard.ts) and the evidence report (src/evidence-report/) call the same functions.
 *
 * DORA's current definitions (dora.dev, "DORA's software delivery metrics", 2024 onwards):
 * - deployment frequency: how often changes are deployed to an environment (successful deployments per day);
 * - change lead time: time from a change being committed to it being deployed;
 * - change failure rate: share of deployments that cause a failure needing immediate intervention
 *   (here: status failed or rolled-back, or a later `deploy.rollback` or `incident.opened` for the same
 *   service and environment before its next deployment);
 * - failed deployment recovery time: time from a failed deployment to recovery (here: the first later
 *   `deploy.rollback`, successful deployment, or resolution of the incident it opened, same service and environment).
 */
import type { LedgerEntry } from "../audit/types.js";
import { CONTROLS, type Control } from "../policy/controls.js";
import { UserError } from "../core/errors.js";

export const DAY_MS = 86_400_000;

export interface MetricsRange {
  /** inclusive ISO time */
  from: string;
  /** exclusive ISO time */
  to: string;
  service?: string;
  env?: string;
  /** repository label recorded by `compliance check` (payload.repo); DORA maps a deployment's commit to it */
  repo?: string;
  /** classification recorded by `compliance check` (payload.classification) */
  classification?: string;
}

export interface Deployment {
  seq: number;
  service: string;
  env: string;
  version: string;
  status: "succeeded" | "failed" | "rolled-back";
  commit: string | null;
  at: number;
  /** the payload carries a producer signature (verified by readers that hold the trust list) */
  signed: boolean;
  failed: boolean;
  /** seq of the entry that marked it failed (itself, a rollback or an incident) */
  failedBy?: number;
  recoveredAt?: number;
  recoveredBy?: number;
  leadTimeMs?: number;
}

export interface DoraGroup {
  service: string;
  env: string;
  deployments: number;
  successful: number;
  failed: number;
  /** successful deployments per day over the range */
  deploymentFrequencyPerDay: number;
  changeFailureRate: number | null;
  leadTimeMedianMs: number | null;
  recoveryMedianMs: number | null;
  unrecovered: number;
}

export interface TrendBucket {
  start: string;
  successful: number;
  failed: number;
  leadTimeMedianMs: number | null;
}

export interface DoraMetrics {
  days: number;
  total: DoraGroup;
  groups: DoraGroup[];
  trend: TrendBucket[];
  deployments: Deployment[];
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const TERMINAL = new Set(["deploy.succeeded", "deploy.failed", "deploy.rolled-back"]);

function obj(p: unknown): Record<string, unknown> {
  return p && typeof p === "object" && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
}
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** The time a record says it happened (its producer's `occurredAt`), else when the ledger recorded it. */
export function occurredAt(e: LedgerEntry): number {
  const t = Date.parse(str(obj(e.payload).occurredAt) ?? "");
  return Number.isFinite(t) ? t : Date.parse(e.time);
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Ledger times and range bounds are both ISO 8601 UTC (toISOString): compared as strings. */
function timeInRange(time: string, r: { from: string; to: string }): boolean {
  return time >= r.from && time < r.to;
}

/**
 * Deployments with failure and recovery attribution. `commitTimes` maps a commit to its commit time
 * (from git, resolved by the front); without it the first ledger entry about that commit is used.
 */
export function deployments(
  entries: Iterable<LedgerEntry>,
  commitTimes: ReadonlyMap<string, number> = new Map(),
): Deployment[] {
  const deps: Deployment[] = [];
  const firstSeen = new Map<string, number>();
  const byKey = new Map<string, Deployment[]>();
  type Event = { at: number; seq: number };
  const rollbacks = new Map<string, Event[]>();
  const opened = new Map<string, (Event & { id: string })[]>();
  const resolved = new Map<string, Event[]>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const e of entries) {
    const subj = e.subject;
    if (subj && (subj.length === 40 || subj.length === 64) && !firstSeen.has(subj) && SHA.test(subj))
      firstSeen.set(subj, Date.parse(e.time));
    if (!e.type.startsWith("deploy.") && !e.type.startsWith("incident.")) continue;
    const p = obj(e.payload);
    const service = str(p.service);
    const env = str(p.env);
    const key = service && env ? `${service}@${env}` : undefined;
    if (TERMINAL.has(e.type)) {
      if (!service || !env) continue;
      const d: Deployment = {
        seq: e.seq,
        service,
        env,
        version: str(p.version) ?? "",
        status: e.type.slice("deploy.".length) as Deployment["status"],
        commit: str(p.commit) ?? null,
        at: occurredAt(e),
        signed: p.signature !== undefined,
        failed: e.type !== "deploy.succeeded",
      };
      if (d.failed) d.failedBy = e.seq;
      deps.push(d);
      push(byKey, key!, d);
    } else if (e.type === "deploy.rollback") {
      if (key) push(rollbacks, key, { at: occurredAt(e), seq: e.seq });
    } else if (e.type === "incident.opened") {
      if (key) push(opened, key, { id: str(p.id) ?? e.subject ?? "", at: occurredAt(e), seq: e.seq });
    } else if (e.type === "incident.resolved") {
      push(resolved, str(p.id) ?? e.subject ?? "", { at: occurredAt(e), seq: e.seq });
    }
  }
  const byTime = (a: Event, b: Event) => a.at - b.at || a.seq - b.seq;
  for (const m of [rollbacks, opened, resolved]) for (const list of m.values()) list.sort(byTime);
  /** index of the first event at or after `t` (binary search over a time-sorted list) */
  const firstAtOrAfter = (list: Event[], t: number) => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.at < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (const [key, list] of byKey) {
    list.sort(byTime);
    const rb = rollbacks.get(key) ?? [];
    const inc = opened.get(key) ?? [];
    // the next successful deployment after each position
    const nextOk: (Deployment | undefined)[] = new Array(list.length);
    for (let i = list.length - 1, next: Deployment | undefined; i >= 0; i--) {
      nextOk[i] = next;
      if (list[i]!.status === "succeeded") next = list[i];
    }
    for (const [i, d] of list.entries()) {
      const nextAt = list[i + 1]?.at ?? Infinity;
      const firstRb = rb[firstAtOrAfter(rb, d.at)];
      const incidents: (Event & { id: string })[] = [];
      if (!d.failed) {
        for (let j = firstAtOrAfter(inc, d.at); j < inc.length && inc[j]!.at < nextAt; j++) incidents.push(inc[j]!);
        const rbHere = firstRb && firstRb.at < nextAt ? firstRb : undefined;
        if (rbHere || incidents.length) {
          d.failed = true;
          d.failedBy = Math.min(rbHere?.seq ?? Infinity, incidents[0]?.seq ?? Infinity);
        }
      }
      if (d.failed) {
        // recovery: a rollback, the next successful deployment, or the resolution of an incident it opened
        const candidates: Event[] = [];
        if (firstRb) candidates.push(firstRb);
        const ok = nextOk[i];
        if (ok) candidates.push({ at: ok.at, seq: ok.seq });
        for (const x of incidents) {
          const res = resolved.get(x.id) ?? [];
          const r = res[firstAtOrAfter(res, x.at)];
          if (r) candidates.push(r);
        }
        const first = candidates.sort(byTime)[0];
        if (first) {
          d.recoveredAt = first.at;
          d.recoveredBy = first.seq;
        }
      }
      if (d.status === "succeeded" && d.commit) {
        const ct = commitTimes.get(d.commit) ?? firstSeen.get(d.commit);
        if (ct !== undefined && ct <= d.at) d.leadTimeMs = d.at - ct;
      }
    }
  }
  return deps.sort((a, b) => a.at - b.at || a.seq - b.seq);
}

function group(list: Deployment[], days: number, service: string, env: string): DoraGroup {
  const successful = list.filter((d) => d.status === "succeeded").length;
  const failed = list.filter((d) => d.failed);
  return {
    service,
    env,
    deployments: list.length,
    successful,
    failed: failed.length,
    deploymentFrequencyPerDay: days > 0 ? successful / days : 0,
    changeFailureRate: list.length ? failed.length / list.length : null,
    leadTimeMedianMs: median(list.flatMap((d) => (d.leadTimeMs === undefined ? [] : [d.leadTimeMs]))),
    recoveryMedianMs: median(failed.flatMap((d) => (d.recoveredAt === undefined ? [] : [d.recoveredAt - d.at]))),
    unrecovered: failed.filter((d) => d.recoveredAt === undefined).length,
  };
}

/** DORA metrics for the range, in total, per service and environment, and by week. */
export function doraMetrics(
  entries: Iterable<LedgerEntry>,
  range: MetricsRange,
  commitTimes?: ReadonlyMap<string, number>,
  repoOf?: ReadonlyMap<string, string>,
): DoraMetrics {
  return doraFromDeployments(deployments(entries, commitTimes), range, repoOf);
}

/**
 * DORA metrics of already attributed deployments (`deployments()`, e.g. cached by MetricsIndex).
 * With `range.repo`, only deployments whose commit `repoOf` places in that repository count.
 */
export function doraFromDeployments(
  attributed: readonly Deployment[],
  range: MetricsRange,
  repoOf?: ReadonlyMap<string, string>,
): DoraMetrics {
  const from = Date.parse(range.from);
  const to = Date.parse(range.to);
  const all = attributed.filter(
    (d) =>
      d.at >= from &&
      d.at < to &&
      (!range.service || d.service === range.service) &&
      (!range.env || d.env === range.env) &&
      (!range.repo || (d.commit !== null && repoOf?.get(d.commit) === range.repo)),
  );
  const days = Math.max(0, (to - from) / DAY_MS);
  const byKey = new Map<string, Deployment[]>();
  for (const d of all) {
    const k = `${d.service}@${d.env}`;
    const list = byKey.get(k);
    if (list) list.push(d);
    else byKey.set(k, [d]);
  }
  const groups = [...byKey.keys()].sort().map((k) => {
    const [service, env] = k.split("@") as [string, string];
    return group(byKey.get(k)!, days, service, env);
  });
  const trend: TrendBucket[] = [];
  const weeks: Deployment[][] = [];
  for (let t = from; t < to; t += 7 * DAY_MS) weeks.push([]);
  for (const d of all) weeks[Math.floor((d.at - from) / (7 * DAY_MS))]!.push(d);
  weeks.forEach((b, i) =>
    trend.push({
      start: new Date(from + i * 7 * DAY_MS).toISOString(),
      successful: b.filter((d) => d.status === "succeeded").length,
      failed: b.filter((d) => d.failed).length,
      leadTimeMedianMs: median(b.flatMap((d) => (d.leadTimeMs === undefined ? [] : [d.leadTimeMs]))),
    }),
  );
  return { days, total: group(all, days, "*", "*"), groups, trend, deployments: all };
}

// ---------------------------------------------------------------- compliance

export type ControlStatus = "met" | "failed" | "not evidenced";

export interface ControlPosture {
  id: string;
  framework: Control["framework"];
  title: string;
  status: ControlStatus;
  met: number;
  failed: number;
  /** seq of the latest compliance.check that judged it */
  latestSeq: number | null;
}

/** `--controls hipaa,part11,sox,soc2` to catalog frameworks. */
export const FRAMEWORKS: Record<string, Control["framework"]> = {
  hipaa: "HIPAA",
  part11: "21CFR11",
  sox: "SOX-ITGC",
  soc2: "SOC2",
};

export function frameworksOf(names: string[] | undefined): Control["framework"][] {
  if (!names || names.length === 0) return Object.values(FRAMEWORKS);
  return names.map((n) => {
    const f = FRAMEWORKS[n.trim().toLowerCase()];
    if (!f) throw new UserError(`unknown control set "${n}" (hipaa, part11, sox, soc2)`);
    return f;
  });
}

/** The repository and classification a `compliance.check` recorded ("" when it predates them). */
export function scopeOf(e: LedgerEntry): { repo: string; classification: string } {
  const p = obj(e.payload);
  return { repo: str(p.repo) ?? "", classification: str(p.classification) ?? "" };
}

function inScope(e: LedgerEntry, range: MetricsRange): boolean {
  if (!range.repo && !range.classification) return true;
  const s = scopeOf(e);
  return (!range.repo || s.repo === range.repo) && (!range.classification || s.classification === range.classification);
}

export interface ScopePosture {
  repo: string;
  classification: string;
  met: number;
  failed: number;
  notEvidenced: number;
  /** ids of the controls whose latest judgement in the range failed */
  failing: string[];
}

/** Posture per repository and classification: the same rule as compliancePosture, one scope at a time. */
export function postureByScope(
  entries: Iterable<LedgerEntry>,
  range: MetricsRange,
  frameworks: Control["framework"][] = Object.values(FRAMEWORKS),
): ScopePosture[] {
  const byScope = new Map<string, LedgerEntry[]>();
  for (const e of entries) {
    if (e.type !== "compliance.check" || !timeInRange(e.time, range) || !inScope(e, range)) continue;
    const s = scopeOf(e);
    const k = `${s.repo}\u0000${s.classification}`;
    const list = byScope.get(k);
    if (list) list.push(e);
    else byScope.set(k, [e]);
  }
  return [...byScope.keys()].sort().map((k) => {
    const [repo, classification] = k.split("\u0000") as [string, string];
    const posture = compliancePosture(byScope.get(k)!, { ...range, repo, classification }, frameworks);
    return {
      repo,
      classification,
      met: posture.filter((p) => p.status === "met").length,
      failed: posture.filter((p) => p.status === "failed").length,
      notEvidenced: posture.filter((p) => p.status === "not evidenced").length,
      failing: posture.filter((p) => p.status === "failed").map((p) => p.id),
    };
  });
}

/**
 * Posture per control over `compliance.check` entries in the range: the latest judgement decides the
 * status (met / failed); a control no check judged is "not evidenced".
 */
export function compliancePosture(
  entries: Iterable<LedgerEntry>,
  range: MetricsRange,
  frameworks: Control["framework"][] = Object.values(FRAMEWORKS),
): ControlPosture[] {
  const posture = new Map<string, ControlPosture>(
    CONTROLS.filter((c) => frameworks.includes(c.framework)).map((c) => [
      c.id,
      { id: c.id, framework: c.framework, title: c.title, status: "not evidenced", met: 0, failed: 0, latestSeq: null },
    ]),
  );
  for (const e of entries) {
    if (e.type !== "compliance.check" || !timeInRange(e.time, range) || !inScope(e, range)) continue;
    for (const [id, status] of Object.entries(obj(obj(e.payload).controls))) {
      const p = posture.get(id);
      if (!p || (status !== "met" && status !== "failed")) continue;
      if (status === "met") p.met++;
      else p.failed++;
      p.status = status;
      p.latestSeq = e.seq;
    }
  }
  return [...posture.values()];
}

// ---------------------------------------------------------------- other views

export interface LlmMetrics {
  calls: number;
  refused: number;
  byModel: { model: string; calls: number; refused: number }[];
}

/** The model a call record names: `llm.call` (gateway) provider/model, `llm.proxy` upstream/model sent. */
function llmModel(e: LedgerEntry): string {
  const p = obj(e.payload);
  if (e.type === "llm.proxy") {
    const m = obj(p.model);
    return `${str(p.upstream) ?? "?"}/${str(m.resolved) ?? str(m.requested) ?? "?"}`;
  }
  return `${str(p.provider) ?? "?"}/${str(p.model) ?? "?"}`;
}

/**
 * LLM calls in the range, through the gateway (`llm.call`) and the proxy (`llm.proxy`): counts,
 * refusals, by model. With `range.repo` / `range.classification`, only calls that recorded that
 * repository label / classification.
 */
export function llmMetrics(entries: Iterable<LedgerEntry>, range: MetricsRange): LlmMetrics {
  const by = new Map<string, { calls: number; refused: number }>();
  let calls = 0;
  let refused = 0;
  for (const e of entries) {
    if ((e.type !== "llm.call" && e.type !== "llm.proxy") || !timeInRange(e.time, range) || !inScope(e, range))
      continue;
    const p = obj(e.payload);
    const model = llmModel(e);
    const m = by.get(model) ?? { calls: 0, refused: 0 };
    m.calls++;
    calls++;
    if ((e.type === "llm.call" ? p.outcome : p.decision) === "refused") {
      m.refused++;
      refused++;
    }
    by.set(model, m);
  }
  return {
    calls,
    refused,
    byModel: [...by]
      .map(([model, v]) => ({ model, ...v }))
      .sort((a, b) => b.calls - a.calls || a.model.localeCompare(b.model)),
  };
}

export interface RunSummary {
  runId: string;
  digest: string;
  command: string;
  environment: string;
  classification: string;
  requester: string;
  plannedAt: string;
  approvals: { approver: string; seq: number; time: string }[];
  state: "planned" | "approved" | "running" | "completed" | "failed";
}

/** Runs from `run.*` entries (as written; the runs API verifies signatures). Newest first. */
export function runSummaries(entries: Iterable<LedgerEntry>): RunSummary[] {
  const runs = new Map<string, RunSummary>();
  for (const e of entries) {
    if (!e.type.startsWith("run.") || !e.subject) continue;
    const p = obj(e.payload);
    if (e.type === "run.plan") {
      const prev = runs.get(e.subject);
      runs.set(e.subject, {
        runId: e.subject,
        digest: str(p.digest) ?? "",
        command: [
          str(p.command) ?? "",
          ...(Array.isArray(p.args) ? p.args.filter((a): a is string => typeof a === "string") : []),
        ].join(" "),
        environment: str(p.environment) ?? "",
        classification: str(p.classification) ?? "",
        requester: str(p.requester) ?? e.actor,
        plannedAt: e.time,
        approvals: prev && prev.digest === str(p.digest) ? prev.approvals : [],
        state: "planned",
      });
      continue;
    }
    const r = runs.get(e.subject);
    if (!r) continue;
    if (e.type === "run.approval" && str(p.digest) === r.digest) {
      r.approvals.push({ approver: str(p.approver) ?? e.actor, seq: e.seq, time: e.time });
      if (r.state === "planned") r.state = "approved";
    } else if (e.type === "run.started") r.state = "running";
    else if (e.type === "run.completed") r.state = "completed";
    else if (e.type === "run.failed") r.state = "failed";
  }
  return [...runs.values()].reverse();
}

export interface FindingsBucket {
  start: string;
  byClass: Record<string, number>;
}

/**
 * The finding counts by class an entry carries: `redactions` (gateway `llm.call`), the prompt's
 * `findings` (proxy `llm.proxy`), or `findingsByCategory` / `byCategory` maps. Counts only, never values.
 */
export function findingCounts(payload: unknown): Record<string, unknown> | undefined {
  const p = obj(payload);
  const c = p.redactions ?? p.findingsByCategory ?? p.byCategory ?? obj(p.prompt).findings;
  return c && typeof c === "object" && !Array.isArray(c) ? (c as Record<string, unknown>) : undefined;
}

/**
 * PHI/secret finding counts by class over time, from entries that carry finding count maps
 * (findingCounts): counts only, never values. With `range.repo` / `range.classification`, only
 * entries that recorded that repository label / classification.
 */
export function findingsOverTime(entries: Iterable<LedgerEntry>, range: MetricsRange): FindingsBucket[] {
  const from = Date.parse(range.from);
  const to = Date.parse(range.to);
  const buckets: FindingsBucket[] = [];
  for (let t = from; t < to; t += 7 * DAY_MS) buckets.push({ start: new Date(t).toISOString(), byClass: {} });
  for (const e of entries) {
    const t = Date.parse(e.time);
    if (t < from || t >= to || !inScope(e, range)) continue;
    const counts = findingCounts(e.payload) ?? {};
    const b = buckets[Math.floor((t - from) / (7 * DAY_MS))]!;
    for (const [k, v] of Object.entries(counts))
      if (typeof v === "number" && Number.isFinite(v)) b.byClass[k] = (b.byClass[k] ?? 0) + v;
  }
  return buckets;
}

export interface DeployPlanSummary {
  seq: number;
  time: string;
  runId: string;
  commit: string | null;
  service: string | null;
  strategy: string | null;
  environment: string | null;
  approvals: number | null;
}

/** The header `deploy plan` puts before its canonical inputs in a gated run's description (src/deploy/gate.ts). */
const DEPLOY_PLAN_HEADER = "gitops-health deploy plan v1\n";

/** Deploy plans recorded as guarded runs (`run.plan` whose description carries the deploy inputs): strategy per commit. */
export function deployPlans(entries: Iterable<LedgerEntry>): DeployPlanSummary[] {
  const out: DeployPlanSummary[] = [];
  for (const e of entries) {
    if (e.type !== "run.plan" || !e.subject) continue;
    const description = str(obj(e.payload).description);
    if (!description?.startsWith(DEPLOY_PLAN_HEADER)) continue;
    let inputs: Record<string, unknown>;
    try {
      inputs = obj(JSON.parse(description.slice(DEPLOY_PLAN_HEADER.length)));
    } catch {
      continue;
    }
    out.push({
      seq: e.seq,
      time: e.time,
      runId: e.subject,
      commit: str(inputs.commit) ?? null,
      service: str(inputs.service) ?? null,
      strategy: str(inputs.strategy) ?? null,
      environment: str(inputs.environment) ?? null,
      approvals: typeof inputs.approvals === "number" ? inputs.approvals : null,
    });
  }
  return out;
}

export interface ChangeRisk {
  /** the risk model's defect likelihood, 0-100 (pipeline `risk` stage) */
  likelihood: number | null;
  /** overall risk level and score (max of likelihood and the impact floor) */
  level: string | null;
  score: number | null;
  /** impact tier from the configured critical paths (pipeline `plan` stage; null: none declared) */
  impactTier: number | null;
  strategy: string | null;
  approvals: number | null;
  /** pipeline risk and plan records for the commit that a trusted producer signed (the values above are theirs) */
  verified: number;
  /** records for the commit that do not count: unsigned, malformed or not from a trusted producer */
  unverified: number;
}

/**
 * Risk per commit from `pipeline.stage` entries: likelihood and level from the `risk` stage, impact
 * tier and strategy from `plan`, the latest record of each stage winning. Only records `trusted`
 * accepts count (the service passes src/pipeline/ledger.ts's producer signature check); the others
 * are only counted as unverified, so whoever can write the ledger cannot make a change look safe.
 * Without `trusted`, no record counts.
 */
export function riskByCommit(
  entries: Iterable<LedgerEntry>,
  trusted: (e: LedgerEntry) => boolean = () => false,
): Map<string, ChangeRisk> {
  const out = new Map<string, ChangeRisk>();
  for (const e of entries) {
    if (e.type !== "pipeline.stage") continue;
    const p = obj(e.payload);
    const head = str(p.head);
    if (!head || (p.stage !== "risk" && p.stage !== "plan")) continue;
    const d = obj(p.data);
    const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
    const r = out.get(head) ?? {
      likelihood: null,
      level: null,
      score: null,
      impactTier: null,
      strategy: null,
      approvals: null,
      verified: 0,
      unverified: 0,
    };
    out.set(head, r);
    if (!trusted(e)) {
      r.unverified++;
      continue;
    }
    r.verified++;
    if (p.stage === "risk") {
      r.likelihood = num(d.likelihood);
      r.level = str(d.level) ?? null;
      r.score = num(d.score);
    } else {
      r.impactTier = num(d.tier);
      r.strategy = str(d.strategy) ?? null;
      r.approvals = num(d.approvals);
    }
  }
  return out;
}

export interface ChangeSummary extends ChangeRisk {
  seq: number;
  time: string;
  commit: string;
  actor: string;
  repo: string;
  classification: string;
  pack: string | null;
  violations: number | null;
  failing: number | null;
  /** the compliance gate: failed when any violation at or above --fail-on */
  outcome: "passed" | "failed";
}

/**
 * Recent changes (one per `compliance.check`, newest first, at most `limit`) with their gate outcome
 * and risk: likelihood and level from the pipeline's risk stage, impact tier and strategy from its
 * plan stage, else the strategy of a recorded deploy plan for the commit.
 */
export function changeSummaries(
  entries: readonly LedgerEntry[],
  range: MetricsRange,
  risks: ReadonlyMap<string, ChangeRisk>,
  plans: ReadonlyMap<string, DeployPlanSummary>,
  limit = 100,
): ChangeSummary[] {
  const out: ChangeSummary[] = [];
  for (let i = entries.length - 1; i >= 0 && out.length < limit; i--) {
    const e = entries[i]!;
    if (e.type !== "compliance.check" || !timeInRange(e.time, range) || !inScope(e, range)) continue;
    const p = obj(e.payload);
    const commit = e.subject ?? "";
    const risk = risks.get(commit);
    const plan = plans.get(commit);
    const failing = typeof p.failing === "number" ? p.failing : null;
    out.push({
      seq: e.seq,
      time: e.time,
      commit,
      actor: e.actor,
      ...scopeOf(e),
      pack: str(p.pack) ?? null,
      violations: typeof p.violations === "number" ? p.violations : null,
      failing,
      outcome: (failing ?? 0) > 0 ? "failed" : "passed",
      likelihood: risk?.likelihood ?? null,
      level: risk?.level ?? null,
      score: risk?.score ?? null,
      impactTier: risk?.impactTier ?? null,
      strategy: risk?.strategy ?? plan?.strategy ?? null,
      approvals: risk?.approvals ?? plan?.approvals ?? null,
      verified: risk?.verified ?? 0,
      unverified: risk?.unverified ?? 0,
    });
  }
  return out;
}
