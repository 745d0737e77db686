/**
 * Review records as signed ledger evidence, with the producer trust model of check results
 * (`evidence.allowedProducers` / the producers' allowed-signers file): whoever can write the
 * ledger can append a `review.*` entry, only a trusted producer's key makes it count.
 */
import { sign } from "node:crypto";
import type { Ledger, LedgerEntryInput } from "../audit/types.js";
import { formatVerifierKey, type NoteSigner } from "../core/note-key.js";
import { signWithKey, verifyWithKey, type KeySignature, type TrustList } from "../core/signing.js";
import {
  RECORD_SCHEMA,
  REVIEW_ENTRY,
  reviewStatement,
  reviewSubject,
  type AnyReviewRecord,
  type PullRecord,
  type PushRecord,
  type ReviewKind,
  type ReviewRecord,
  type TeamRecord,
} from "./model.js";
import type { ReviewEvidenceSet } from "./approvals.js";

export type AnyRecord = AnyReviewRecord;
export type Signer = (statement: string) => KeySignature;

/** A signer over a key file (signed-note key or SSH private key), as `check run` signs. */
export function keyFileSigner(keyFile: string, namespace: string): Signer {
  return (statement) => signWithKey(statement, keyFile, namespace);
}

/** A signer over an in-memory signed-note key (the service's key). */
export function noteSigner(signer: NoteSigner): Signer {
  const keyId = formatVerifierKey(signer);
  return (statement) => ({
    method: "note",
    signature: sign(null, Buffer.from(statement), signer.privateKey).toString("base64"),
    keyId,
  });
}

/** The ledger entry for a record, signed. */
export function signedReviewEntry(
  kind: ReviewKind,
  record: AnyRecord,
  signer: Signer,
  actor?: string,
  delivery?: string,
): LedgerEntryInput {
  const parsed = RECORD_SCHEMA[kind].parse(record) as AnyRecord;
  return {
    type: REVIEW_ENTRY[kind],
    subject: reviewSubject(kind, parsed),
    ...(actor ? { actor } : {}),
    // `delivery` (the forge's delivery id) is bookkeeping for refusing replays, not evidence: it is not signed.
    payload: {
      kind,
      record: parsed,
      signature: signer(reviewStatement(kind, parsed)),
      ...(delivery ? { delivery } : {}),
    },
  };
}

/**
 * Was a forge delivery with this id already recorded for these subjects? The service refuses a
 * replayed delivery (same `X-GitHub-Delivery` / `X-Gitlab-Event-UUID`) before signing anything.
 */
export async function deliverySeen(ledger: Ledger, subjects: string[], delivery: string): Promise<boolean> {
  for (const subject of new Set(subjects))
    for await (const e of ledger.query({ subject }))
      if (e.type.startsWith("review.") && (e.payload as { delivery?: unknown } | null)?.delivery === delivery)
        return true;
  return false;
}

export interface RejectedReviewEntry {
  seq: number;
  type: string;
  reason: string;
}

export interface VerifiedReviewEvidence extends ReviewEvidenceSet {
  /** who signed the records that count */
  producers: string[];
  rejected: RejectedReviewEntry[];
}

/** Verify one entry; undefined record means it does not count (reason says why). */
export function verifyReviewEntry(
  e: { seq: number; type: string; subject?: string; payload: unknown },
  trust: TrustList,
  namespace: string,
): { kind: ReviewKind; record: AnyRecord; producer: string } | { reason: string } {
  const kind = (Object.keys(REVIEW_ENTRY) as ReviewKind[]).find((k) => REVIEW_ENTRY[k] === e.type);
  if (!kind) return { reason: "not a review entry" };
  const p = (e.payload ?? {}) as { kind?: unknown; record?: unknown; signature?: unknown };
  if (!p.signature) return { reason: "unsigned" };
  if (p.kind !== kind) return { reason: "payload kind does not match the entry type" };
  const rec = RECORD_SCHEMA[kind].safeParse(p.record);
  if (!rec.success) return { reason: "malformed review record" };
  const sig = p.signature as KeySignature;
  if (
    typeof sig !== "object" ||
    typeof sig.signature !== "string" ||
    typeof sig.keyId !== "string" ||
    (sig.method !== "note" && sig.method !== "ssh")
  )
    return { reason: "malformed signature" };
  if (e.subject !== reviewSubject(kind, rec.data)) return { reason: "subject does not match the record" };
  const v = verifyWithKey(reviewStatement(kind, rec.data), sig, trust, namespace);
  if (!v.ok) return { reason: v.reason };
  return { kind, record: rec.data, producer: v.identity };
}

/**
 * Record a forge's answer as signed evidence, one ledger entry per record, in one batch.
 * This is the library entry point the GitHub Action calls after `fetchGithubReviews`.
 */
export async function recordReviewEvidence(
  ledger: Ledger,
  records: { kind: ReviewKind; record: AnyRecord }[],
  signer: Signer,
  actor?: string,
  delivery?: string,
): Promise<number[]> {
  if (!records.length) return [];
  const res = await ledger.appendBatch(
    records.map((r) => signedReviewEntry(r.kind, r.record, signer, actor, delivery)),
  );
  return res.map((r) => r.seq);
}

/**
 * Record one forge delivery's records at most once: the delivery id is the key of an append-once
 * (`Ledger.appendBatchOnce`: a unique key in PostgreSQL, the ledger's lock and its key file in a
 * directory), so concurrent deliveries of one id record it exactly once; a delivery recorded before
 * the key existed is still found among the entries. Null: this delivery was already recorded.
 */
export async function recordReviewDelivery(
  ledger: Ledger,
  records: { kind: ReviewKind; record: AnyRecord }[],
  signer: Signer,
  forge: "github" | "gitlab",
  delivery: string,
): Promise<number[] | null> {
  if (!records.length) return [];
  const subjects = records.map((r) => reviewSubject(r.kind, RECORD_SCHEMA[r.kind].parse(r.record) as AnyRecord));
  if (await deliverySeen(ledger, subjects, delivery)) return null;
  const entries = records.map((r) => signedReviewEntry(r.kind, r.record, signer, undefined, delivery));
  if (!ledger.appendBatchOnce) return (await ledger.appendBatch(entries)).map((r) => r.seq);
  const res = await ledger.appendBatchOnce(`webhook:${forge}:${delivery}`, entries);
  return res ? res.map((r) => r.seq) : null;
}

/** Every trusted review record in the ledger, in ledger order, and the entries that do not count. */
export async function readReviewEvidence(
  ledger: Ledger,
  trust: TrustList,
  namespace: string,
): Promise<VerifiedReviewEvidence> {
  const out: VerifiedReviewEvidence = { pulls: [], reviews: [], teams: [], pushes: [], producers: [], rejected: [] };
  const producers = new Set<string>();
  for await (const e of ledger.query({ type: "review.*" })) {
    const v = verifyReviewEntry(e, trust, namespace);
    if ("reason" in v) {
      out.rejected.push({ seq: e.seq, type: e.type, reason: v.reason });
      continue;
    }
    producers.add(v.producer);
    if (v.kind === "pull") out.pulls.push(v.record as PullRecord);
    else if (v.kind === "review") out.reviews.push(v.record as ReviewRecord);
    else if (v.kind === "push") out.pushes!.push(v.record as PushRecord);
    else out.teams.push(v.record as TeamRecord);
  }
  out.producers = [...producers];
  return out;
}
