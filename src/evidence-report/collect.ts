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
};

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
  const root = await ledger.rootHash(cp.size).catch(() => undefined);
  if (!root || !root.equals(cp.rootHash))
    throw new UserError(
      `the checkpoint (size ${cp.size}) does not match this ledger: it is of another log, or the log was rewritten`,
    );

  const period = { from: o.from, to: o.to };
  const entries: LedgerEntry[] = [];
  for await (const e of ledger.query()) {
    if (e.seq >= cp.size) break;
    entries.push(e);
  }
  const inPeriod = entries.filter((e) => e.time >= period.from && e.time < period.to);
  const posture = compliancePosture(inPeriod, period, o.frameworks);
  const max = o.maxCitedPerControl ?? 200;
  const citesFor = new Map<string, number[]>(posture.map((p) => [p.id, []]));
  for (const e of inPeriod) {
    const ids = new Set(EVIDENCE_BY_TYPE[e.type] ?? []);
    if (e.type === "compliance.check") {
      const c = (e.payload as { controls?: Record<string, unknown> } | null)?.controls;
      if (c && typeof c === "object") for (const id of Object.keys(c)) ids.add(id);
    }
    for (const id of ids) citesFor.get(id)?.push(e.seq);
  }
  const controls: ControlEvidence[] = posture.map((p) => {
    const all = citesFor.get(p.id)!;
    const cited = all.slice(-max).reverse();
    const c = CONTROLS.find((x) => x.id === p.id)!;
    return {
      id: p.id,
      framework: p.framework,
      title: p.title,
      citation: c.citation,
      status: p.status,
      met: p.met,
      failed: p.failed,
      cited,
      uncited: all.length - cited.length,
    };
  });
  const seqs = [...new Set(controls.flatMap((c) => c.cited))].sort((a, b) => a - b);
  const bySeq = new Map(inPeriod.map((e) => [e.seq, e]));
  const cited: CitedEntry[] = [];
  for (const seq of seqs) {
    const p = await ledger.proveInclusion(seq, cp.size);
    cited.push({ seq, canonical: canonicalize(bySeq.get(seq))!, proof: p.proof });
  }
  const commits = [
    ...new Set(
      inPeriod.flatMap((e) =>
        e.type === "deploy.succeeded" && typeof (e.payload as { commit?: unknown })?.commit === "string"
          ? [(e.payload as { commit: string }).commit]
          : [],
      ),
    ),
  ].sort();
  const times = o.commitTimes && commits.length ? await o.commitTimes(commits) : undefined;
  const { deployments: _d, ...dora } = doraMetrics(inPeriod, period, times);
  return {
    version: 1,
    period,
    frameworks: o.frameworks,
    checkpoint: { note: o.checkpointNote, origin: cp.origin, size: cp.size, rootHash: cp.rootHash.toString("hex") },
    verifierKey: formatVerifierKey(o.verifier),
    entriesInPeriod: inPeriod.length,
    controls,
    dora,
    llm: llmMetrics(inPeriod, period),
    entries: cited,
    ...(o.reviews ? { reviews: collectReviewSection(entries, period, o.reviews.trust, o.reviews.namespace) } : {}),
  };
}
