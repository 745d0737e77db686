/**
 * A pipeline run's state lives only in the ledger: `pipeline.started`, one `pipeline.stage` per stage
 * outcome, `pipeline.finished`, `pipeline.invalidated` and `pipeline.culprit` (reserved types, see
 * src/audit/reserved.ts), each signed by the producer key that ran it, exactly as check results are
 * (src/evidence/checks.ts). Reading back counts only entries a trusted producer signed: whoever can
 * write the ledger directory cannot mark a stage as passed. Reads never write.
 */
import canonicalize from "canonicalize";
import { z } from "zod";
import type { Ledger, LedgerEntry } from "../audit/types.js";
import type { ProducerTrust } from "../evidence/checks.js";
import { signWithKey, verifyWithKey } from "../core/signing.js";
import { FAILURE_STAGES, STAGES, STAGE_STATUSES, type AnyStage, type StageStatus } from "./stages.js";

export const PIPELINE_STATEMENT_HEADER = "gitops-health pipeline v1";
const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/);
const Label = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+\-/:@]{0,127}$/);
/** Machine fields a stage records: numbers, booleans, short labels and hashes only (no free text, so no PHI). */
const Data = z.record(
  z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,40}$/),
  z.union([z.number(), z.boolean(), z.null(), Label, z.array(Label).max(20)]),
);

export const PipelineStarted = z
  .object({
    runId: z.string(),
    head: Sha,
    environment: Label,
    classification: Label,
    service: Label,
    version: Label,
    image: Label,
  })
  .strict();
export const PipelineStage = z
  .object({
    runId: z.string(),
    head: Sha,
    stage: z.enum([...STAGES, ...FAILURE_STAGES]),
    status: z.enum(STAGE_STATUSES),
    durationMs: z.number().int().min(0),
    data: Data.optional(),
  })
  .strict();
export const PipelineFinished = z
  .object({ runId: z.string(), head: Sha, status: z.enum(["completed", "failed", "pending-approval", "rolled-back"]) })
  .strict();
export const PipelineInvalidated = z.object({ runId: z.string(), head: Sha, startedAt: Sha }).strict();
export const PipelineCulprit = z
  .object({
    runId: z.string(),
    incident: Label,
    commit: Sha,
    confidence: z.number().min(0).max(1),
    good: Sha,
    bad: Sha,
  })
  .strict();

const SCHEMAS = {
  "pipeline.started": PipelineStarted,
  "pipeline.stage": PipelineStage,
  "pipeline.finished": PipelineFinished,
  "pipeline.invalidated": PipelineInvalidated,
  "pipeline.culprit": PipelineCulprit,
} as const;
export type PipelineEntryType = keyof typeof SCHEMAS;
type Payload<T extends PipelineEntryType> = z.infer<(typeof SCHEMAS)[T]>;

const Signature = z
  .object({ method: z.enum(["ssh", "note"]), signature: z.string().min(1), keyId: z.string() })
  .strict();

/** The exact bytes the producer signs: header, entry type and the canonical JSON (RFC 8785) of the payload. */
export function pipelineStatement(type: PipelineEntryType, payload: object): string {
  return `${PIPELINE_STATEMENT_HEADER}\n${type}\n${canonicalize(payload)!}\n`;
}

export interface Producer {
  keyFile: string;
  namespace: string;
}

/** Append a signed pipeline entry (subject: the run ID, or the incident for a culprit). */
export async function appendPipeline<T extends PipelineEntryType>(
  ledger: Ledger,
  type: T,
  payload: Payload<T>,
  producer: Producer,
): Promise<number> {
  const p = SCHEMAS[type].parse(payload) as object;
  const subject =
    type === "pipeline.culprit" ? (p as Payload<"pipeline.culprit">).incident : (p as { runId: string }).runId;
  const { seq } = await ledger.append({
    type,
    subject,
    payload: { ...p, signature: signWithKey(pipelineStatement(type, p), producer.keyFile, producer.namespace) },
  });
  return seq;
}

export interface RecordedStage {
  seq: number;
  stage: AnyStage;
  status: StageStatus;
  head: string;
  durationMs: number;
  data?: Record<string, unknown>;
}

export interface PipelineRecord {
  runId: string;
  started?: Payload<"pipeline.started"> & { seq: number; producer: string; time: string };
  stages: RecordedStage[];
  finished?: Payload<"pipeline.finished"> & { seq: number };
  invalidated: boolean;
  culprits: Payload<"pipeline.culprit">[];
  /** entries that do not count, and why */
  untrusted: { seq: number; type: string; reason: string }[];
}

/** Read a run's pipeline entries, counting only those a trusted producer signed. */
export async function readPipeline(ledger: Ledger, runId: string, trust: ProducerTrust): Promise<PipelineRecord> {
  const rec: PipelineRecord = { runId, stages: [], invalidated: false, culprits: [], untrusted: [] };
  for await (const e of ledger.query({ subject: runId })) {
    if (!e.type.startsWith("pipeline.")) continue;
    const v = checkPipelineEntry(e, trust, runId);
    if (!v.ok) {
      rec.untrusted.push({ seq: e.seq, type: e.type, reason: v.reason });
      continue;
    }
    const { type, data } = v;
    if (type === "pipeline.started")
      rec.started ??= { ...(data as Payload<"pipeline.started">), seq: e.seq, producer: v.identity, time: e.time };
    else if (type === "pipeline.stage") {
      const d = data as Payload<"pipeline.stage">;
      rec.stages.push({
        seq: e.seq,
        stage: d.stage,
        status: d.status,
        head: d.head,
        durationMs: d.durationMs,
        ...(d.data ? { data: d.data } : {}),
      });
    } else if (type === "pipeline.finished") rec.finished = { ...(data as Payload<"pipeline.finished">), seq: e.seq };
    else if (type === "pipeline.invalidated") rec.invalidated = true;
  }
  return rec;
}

/** The one check of a pipeline entry: known type, well-formed payload (of `runId` when given), trusted signature. */
function checkPipelineEntry(
  e: Pick<LedgerEntry, "type" | "payload">,
  trust: ProducerTrust,
  runId?: string,
): { ok: true; identity: string; type: PipelineEntryType; data: object } | { ok: false; reason: string } {
  if (!Object.hasOwn(SCHEMAS, e.type)) return { ok: false, reason: "unknown pipeline entry type" };
  const type = e.type as PipelineEntryType;
  const raw = (e.payload && typeof e.payload === "object" ? e.payload : {}) as Record<string, unknown>;
  const { signature, ...rest } = raw;
  const p = (SCHEMAS[type] as z.ZodType).safeParse(rest);
  if (!p.success || (runId !== undefined && (p.data as { runId: string }).runId !== runId))
    return { ok: false, reason: "malformed" };
  const s = Signature.safeParse(signature);
  if (!s.success) return { ok: false, reason: signature === undefined ? "unsigned" : "malformed signature" };
  const v = verifyWithKey(pipelineStatement(type, p.data as object), s.data, trust, trust.namespace);
  return v.ok ? { ok: true, identity: v.identity, type, data: p.data as object } : v;
}

/**
 * Does this one ledger entry carry a pipeline record signed by a trusted producer? (What readPipeline
 * counts, for readers that take entries one at a time, such as the dashboard's changes view.)
 */
export function verifyPipelineEntry(
  e: Pick<LedgerEntry, "type" | "payload">,
  trust: ProducerTrust,
): { ok: true; identity: string } | { ok: false; reason: string } {
  const v = checkPipelineEntry(e, trust);
  return v.ok ? { ok: true, identity: v.identity } : v;
}

/** Culprits a bisect attached to an incident. */
export async function readCulprits(
  ledger: Ledger,
  incident: string,
  trust: ProducerTrust,
): Promise<Payload<"pipeline.culprit">[]> {
  const out: Payload<"pipeline.culprit">[] = [];
  for await (const e of ledger.query({ subject: incident, type: "pipeline.culprit" })) {
    const { signature, ...rest } = (e.payload ?? {}) as Record<string, unknown>;
    const p = PipelineCulprit.safeParse(rest);
    const s = Signature.safeParse(signature);
    if (!p.success || !s.success) continue;
    if (verifyWithKey(pipelineStatement("pipeline.culprit", p.data), s.data, trust, trust.namespace).ok)
      out.push(p.data);
  }
  return out;
}
