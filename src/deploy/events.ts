/**
 * Deployment and incident records in the ledger (`deploy.*`, `incident.*`, reserved types that generic
 * `audit append` refuses): the data for DORA metrics. When a producer key is given the record is signed
 * exactly as check results are (src/evidence/checks.ts: `signWithKey` over a header line and the RFC 8785
 * canonical JSON, in the producers' namespace), and reading verifies against the producers' trust list.
 * Unsigned records are still read back, marked as not signed by a trusted producer.
 */
import canonicalize from "canonicalize";
import { z } from "zod";
import type { Ledger, LedgerEntry } from "../audit/types.js";
import { UserError } from "../core/errors.js";
import { signWithKey, verifyWithKey } from "../core/signing.js";
import type { ProducerTrust } from "../evidence/checks.js";

export const DEPLOY_STATUSES = ["started", "succeeded", "failed", "rolled-back"] as const;
export type DeployStatus = (typeof DEPLOY_STATUSES)[number];
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+\-/:@]{0,127}$/;
const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/);

export const DeployRecord = z
  .object({
    service: z.string().regex(LABEL),
    env: z.string().regex(LABEL),
    version: z.string().regex(VERSION),
    status: z.enum(DEPLOY_STATUSES),
    commit: Sha.nullable(),
    image: z.string().regex(VERSION).nullable(),
    occurredAt: z.string(),
  })
  .strict();
export type DeployRecord = z.infer<typeof DeployRecord>;

export const RollbackRecord = z
  .object({
    service: z.string().regex(LABEL),
    env: z.string().regex(LABEL),
    from: z.string().regex(VERSION).nullable(),
    to: z.string().regex(VERSION),
    image: z.string().regex(VERSION),
    action: z.enum(["abort-and-redeploy", "redeploy"]),
    occurredAt: z.string(),
  })
  .strict();
export type RollbackRecord = z.infer<typeof RollbackRecord>;

export const IncidentRecord = z
  .object({
    id: z.string().regex(LABEL),
    service: z.string().regex(LABEL).nullable(),
    env: z.string().regex(LABEL).nullable(),
    status: z.enum(["open", "resolved"]),
    severity: z.enum(["sev1", "sev2", "sev3", "sev4"]).nullable(),
    occurredAt: z.string(),
  })
  .strict();
export type IncidentRecord = z.infer<typeof IncidentRecord>;

const Signature = z
  .object({ method: z.enum(["ssh", "note"]), signature: z.string().min(1), keyId: z.string() })
  .strict();

export function checkLabel(value: string, what: string): string {
  if (!LABEL.test(value))
    throw new UserError(`invalid ${what} "${value}": letters, digits, '.', '_' or '-', at most 63`);
  return value;
}

export function checkVersion(value: string): string {
  if (!VERSION.test(value)) throw new UserError(`invalid version "${value}"`);
  return value;
}

type Kind = "deploy" | "rollback" | "incident";
const HEADERS: Record<Kind, string> = {
  deploy: "gitops-health deploy v1",
  rollback: "gitops-health rollback v1",
  incident: "gitops-health incident v1",
};
const SCHEMAS = { deploy: DeployRecord, rollback: RollbackRecord, incident: IncidentRecord } as const;

/** The exact bytes a producer signs for a record. */
export function recordStatement(kind: Kind, record: object): string {
  return `${HEADERS[kind]}\n${canonicalize(record)!}\n`;
}

function typeOf(kind: Kind, record: DeployRecord | RollbackRecord | IncidentRecord): string {
  if (kind === "deploy") return `deploy.${(record as DeployRecord).status}`;
  if (kind === "rollback") return "deploy.rollback";
  return (record as IncidentRecord).status === "open" ? "incident.opened" : "incident.resolved";
}

/** Append a record (validated; signed when `sign` is given) through the ledger API. */
export async function appendRecord(
  ledger: Ledger,
  kind: Kind,
  record: DeployRecord | RollbackRecord | IncidentRecord,
  sign?: { keyFile: string; namespace: string },
): Promise<{ seq: number; type: string; signed: boolean }> {
  const parsed = SCHEMAS[kind].safeParse(record);
  if (!parsed.success)
    throw new UserError(
      `invalid ${kind} record: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`,
    );
  const r = parsed.data;
  const payload = sign ? { ...r, signature: signWithKey(recordStatement(kind, r), sign.keyFile, sign.namespace) } : r;
  const type = typeOf(kind, r);
  const subject =
    kind === "incident" ? (r as IncidentRecord).id : `${(r as DeployRecord).service}@${(r as DeployRecord).env}`;
  const { seq } = await ledger.append({ type, subject, payload });
  return { seq, type, signed: Boolean(sign) };
}

export interface ReadRecord<T> {
  seq: number;
  time: string;
  type: string;
  actor: string;
  record: T;
  /** identity of the trusted producer that signed it, or null with the reason it is not trusted */
  producer: string | null;
  untrusted?: string;
}

function verifyRecord(kind: Kind, e: LedgerEntry, trust: ProducerTrust): ReadRecord<unknown> | null {
  const raw = (e.payload ?? {}) as Record<string, unknown>;
  const { signature, ...rest } = raw;
  const p = SCHEMAS[kind].safeParse(rest);
  if (!p.success) return null;
  const base = { seq: e.seq, time: e.time, type: e.type, actor: e.actor, record: p.data };
  if (signature === undefined) return { ...base, producer: null, untrusted: "unsigned" };
  const s = Signature.safeParse(signature);
  if (!s.success) return { ...base, producer: null, untrusted: "malformed signature" };
  const v = verifyWithKey(recordStatement(kind, p.data), s.data, trust, trust.namespace);
  return v.ok ? { ...base, producer: v.identity } : { ...base, producer: null, untrusted: v.reason };
}

/** Deployment records (deploy.started|succeeded|failed|rolled-back and deploy.rollback), oldest first. Reads only. */
export async function readDeployEvents(
  ledger: Ledger,
  trust: ProducerTrust,
  filter: { service?: string; env?: string } = {},
): Promise<ReadRecord<DeployRecord | RollbackRecord>[]> {
  const out: ReadRecord<DeployRecord | RollbackRecord>[] = [];
  const subject = filter.service && filter.env ? `${filter.service}@${filter.env}` : undefined;
  for await (const e of ledger.query(subject ? { subject } : {})) {
    if (!e.type.startsWith("deploy.")) continue;
    const r = verifyRecord(e.type === "deploy.rollback" ? "rollback" : "deploy", e, trust) as ReadRecord<
      DeployRecord | RollbackRecord
    > | null;
    if (!r) continue;
    if (filter.service && r.record.service !== filter.service) continue;
    if (filter.env && r.record.env !== filter.env) continue;
    out.push(r);
  }
  return out;
}

/** Incident records (incident.opened|resolved), oldest first. Reads only. */
export async function readIncidents(ledger: Ledger, trust: ProducerTrust): Promise<ReadRecord<IncidentRecord>[]> {
  const out: ReadRecord<IncidentRecord>[] = [];
  for await (const e of ledger.query({})) {
    if (e.type !== "incident.opened" && e.type !== "incident.resolved") continue;
    const r = verifyRecord("incident", e, trust) as ReadRecord<IncidentRecord> | null;
    if (r) out.push(r);
  }
  return out;
}
