/**
 * The auditor's evidence for a period: which ledger entries prove each control, the metrics of the
 * period, the signed checkpoint and an RFC 6962 inclusion proof for every cited entry. Reads only:
 * it never signs or appends (the checkpoint must already be stored: `audit checkpoint`).
 */
import canonicalize from "canonicalize";
import type { AuditLedger } from "../audit/ledger.js";
import { parseCheckpoint, verifyNote } from "../audit/note.js";
import type { LedgerEntry } from "../audit/types.js";
import { UserError } from "../core/errors.js";
import { formatVerifierKey, type NoteVerifier } from "../core/note-key.js";
import { CONTROLS, type Control } from "../policy/controls.js";
import type { TrustList } from "../core/signing.js";
import { collectReviewSection, type ReviewSection } from "./reviews.js";
import {
  compliancePosture,
  doraMetrics,
  llmMetrics,
  type ControlPosture,
  type DoraMetrics,
  type LlmMetrics,
} from "../metrics/index.js";

/** Entry types that are evidence for a control beyond the `compliance.check` judgements that name it. */
export const EVIDENCE_BY_TYPE: Record<string, string[]> = {
  check: ["SOX-ITGC-CM-3", "SOC2-CC8.1", "21CFR11.10(a)", "HIPAA-164.308(a)(8)"],
  "run.plan": ["SOX-ITGC-CM-1"],
  "run.approval": [
    "SOX-ITGC-CM-1",
    "SOX-ITGC-CM-2",
    "SOC2-CC8.1",
    "21CFR11.10(g)",
    "21CFR11.50",
    "21CFR11.70",
    "21CFR11.200",
    "HIPAA-164.312(d)",
  ],
  "deploy.succeeded": ["SOC2-CC8.1", "SOX-ITGC-CM-1"],
  "deploy.failed": ["SOC2-CC8.1"],
  "deploy.rolled-back": ["SOC2-CC8.1"],
  "deploy.rollback": ["SOC2-CC8.1"],
  "incident.opened": ["SOC2-CC7.2", "HIPAA-164.308(a)(1)(ii)(D)"],
  "incident.resolved": ["SOC2-CC7.2", "HIPAA-164.308(a)(1)(ii)(D)"],
  "ledger.checkpoint": ["HIPAA-164.312(b)", "HIPAA-164.312(c)(1)", "21CFR11.10(e)"],
  "llm.call": ["HIPAA-164.312(b)", "HIPAA-164.514(b)"],
  "llm.proxy": ["HIPAA-164.312(b)", "HIPAA-164.514(b)"],
};

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export interface CitedEntry {
  seq: number;
  /** the canonical entry bytes (RFC 8785 JSON) as stored: the Merkle leaf data */
  canonical: string;
  proof: string[];
}

export interface ControlEvidence {
  id: string;
  framework: Control["framework"];
  title: string;
  citation: string;
  status: ControlPosture["status"];
  met: number;
  failed: number;
  /** seqs of the entries cited (newest first, at most maxCitedPerControl) */
  cited: number[];
  /** matching entries in the period beyond those cited */
  uncited: number;
}

export interface EvidenceData {
  version: 1;
  period: { from: string; to: string };
  frameworks: Control["framework"][];
  checkpoint: { note: string; origin: string; size: number; rootHash: string };
  verifierKey: string;
  /** entries of the period covered by the checkpoint */
  entriesInPeriod: number;
  controls: ControlEvidence[];
  dora: Omit<DoraMetrics, "deployments">;
  llm: LlmMetrics;
  entries: CitedEntry[];
  /** per change: the pull request, its approvers and whether each approval was current (reviews.ts) */
  reviews?: ReviewSection;
}

export interface CollectOptions {
  from: string;
  to: string;
  frameworks: Control["framework"][];
  /** the stored signed checkpoint to prove against */
  checkpointNote: string;
  verifier: NoteVerifier;
  maxCitedPerControl?: number;
  /** commit → commit time (ms), resolved by the front (from git), for lead time */
  commitTimes?: (commits: string[]) => Promise<ReadonlyMap<string, number>>;
  /** the producers whose review records count (the review section is left out without it) */
  reviews?: { trust: TrustList; namespace: string };
}

function isoDate(value: string, what: string): string {
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw new UserError(`${what} is not a date: "${value}" (use YYYY-MM-DD or an ISO time)`);
  return new Date(t).toISOString();
}

export function parsePeriod(from: string, to: string): { from: string; to: string } {
  const f = isoDate(from, "--from");
  // a bare date as --to includes that whole day
  const t = /^\d{4}-\d{2}-\d{2}$/.test(to) ? new Date(Date.parse(to) + 86_400_000).toISOString() : isoDate(to, "--to");
  if (t <= f) throw new UserError("--to must be after --from");
  return { from: f, to: t };
}

export async function collectEvidence(ledger: AuditLedger, o: CollectOptions): Promise<EvidenceData> {
  const v = verifyNote(o.checkpointNote, [o.verifier]);
  if (!v.ok) throw new UserError(`the checkpoint does not verify with the verifier key (${v.reason})`);
  const cp = parseCheckpoint(v.text!);
  // one packed tree of the checkpoint's size: its root must be the signed one, and it proves every cited entry
  const prover = await ledger.inclusionProver(cp.size).catch(() => undefined);
  if (!prover || !prover.rootHash.equals(cp.rootHash))
    throw new UserError(
      `the checkpoint (size ${cp.size}) does not match this ledger: it is of another log, or the log was rewritten`,
    );

  const period = { from: o.from, to: o.to };
  const max = o.maxCitedPerControl ?? 200;
  // One streaming pass over the checkpointed entries. Only what the evidence needs is kept: the
  // compliance checks, deploy and incident records and LLM calls of the period, the first time each
  // commit appears, and per control the newest `max` entries that evidence it (a ring): every other
  // entry is dropped as soon as it is read.
  const frameworksSet = new Set(o.frameworks);
  const controlIds = new Set(CONTROLS.filter((c) => frameworksSet.has(c.framework)).map((c) => c.id));
  const rings = new Map<string, { entries: LedgerEntry[]; total: number }>(
    [...controlIds].map((id) => [id, { entries: [], total: 0 }]),
  );
  const checks: LedgerEntry[] = [];
  const delivery: LedgerEntry[] = [];
  const llm: LedgerEntry[] = [];
  const firstSeen = new Map<string, number>();
  // review records of every period: a change observed in this one may have been approved before it
  const reviewEntries: LedgerEntry[] = [];
  let entriesInPeriod = 0;
  for await (const e of ledger.query()) {
    if (e.seq >= cp.size) break;
    if (o.reviews && e.type.startsWith("review.")) reviewEntries.push(e);
    if (e.time < period.from || e.time >= period.to) continue;
    entriesInPeriod++;
    const subj = e.subject;
    if (subj && (subj.length === 40 || subj.length === 64) && !firstSeen.has(subj) && SHA.test(subj))
      firstSeen.set(subj, Date.parse(e.time));
    const t = e.type;
    if (t === "compliance.check") checks.push(e);
    else if (t === "llm.call" || t === "llm.proxy") llm.push(e);
    else if (t.startsWith("deploy.") || t.startsWith("incident.")) delivery.push(e);
    const ids = new Set(EVIDENCE_BY_TYPE[t] ?? []);
    if (t === "compliance.check") {
      const c = (e.payload as { controls?: Record<string, unknown> } | null)?.controls;
      if (c && typeof c === "object") for (const id of Object.keys(c)) ids.add(id);
    }
    for (const id of ids) {
      const ring = rings.get(id);
      if (!ring) continue;
      ring.total++;
      ring.entries.push(e);
      if (ring.entries.length > 2 * max) ring.entries.splice(0, ring.entries.length - max);
    }
  }
  const posture = compliancePosture(checks, period, o.frameworks);
  const bySeq = new Map<number, LedgerEntry>();
  const controls: ControlEvidence[] = posture.map((p) => {
    const ring = rings.get(p.id)!;
    const newest = ring.entries.slice(-max).reverse();
    for (const e of newest) bySeq.set(e.seq, e);
    const c = CONTROLS.find((x) => x.id === p.id)!;
    return {
      id: p.id,
      framework: p.framework,
      title: p.title,
      citation: c.citation,
      status: p.status,
      met: p.met,
      failed: p.failed,
      cited: newest.map((e) => e.seq),
      uncited: ring.total - newest.length,
    };
  });
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  const cited: CitedEntry[] = [];
  for (const seq of seqs) cited.push({ seq, canonical: canonicalize(bySeq.get(seq))!, proof: prover.prove(seq) });
  const commits = [
    ...new Set(
      delivery.flatMap((e) =>
        e.type === "deploy.succeeded" && typeof (e.payload as { commit?: unknown })?.commit === "string"
          ? [(e.payload as { commit: string }).commit]
          : [],
      ),
    ),
  ].sort();
  const fromGit = o.commitTimes && commits.length ? await o.commitTimes(commits) : undefined;
  // the commit's time from git, else the first ledger entry of the period about it
  const times = new Map(firstSeen);
  for (const [c, t] of fromGit ?? []) times.set(c, t);
  const { deployments: _d, ...dora } = doraMetrics(delivery, period, times);
  return {
    version: 1,
    period,
    frameworks: o.frameworks,
    checkpoint: { note: o.checkpointNote, origin: cp.origin, size: cp.size, rootHash: cp.rootHash.toString("hex") },
    verifierKey: formatVerifierKey(o.verifier),
    entriesInPeriod,
    controls,
    dora,
    llm: llmMetrics(llm, period),
    entries: cited,
    ...(o.reviews
      ? { reviews: collectReviewSection(reviewEntries, period, o.reviews.trust, o.reviews.namespace) }
      : {}),
  };
}
