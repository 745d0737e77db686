import { z } from "zod";
import canonicalize from "canonicalize";
import { hashLeaf, verifyInclusion } from "./merkle.js";
import { parseCheckpoint, verifyNote } from "./note.js";
import type { NoteVerifier } from "../core/note-key.js";
import { parseVerifierKey } from "../core/note-key.js";
import type { AuditLedger } from "./ledger.js";
import type { LedgerEntry } from "./types.js";

const BundleEntry = z.object({
  seq: z.number().int().nonnegative(),
  canonical: z.string(),
  leafHash: z.string(),
  proof: z.array(z.string()),
});
type BundleEntry = z.infer<typeof BundleEntry>;

/** Evidence bundle: entries with inclusion proofs against one signed checkpoint. */
export const EvidenceBundle = z.object({
  format: z.literal("gitops-health-evidence/v1"),
  generated: z.string(),
  range: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
  verifierKey: z.string(),
  checkpoint: z.string(),
  treeSize: z.number().int().nonnegative(),
  entries: z.array(BundleEntry),
  /**
   * The entries just outside a time range (the last one before `from`, the first one after `to`),
   * with their proofs: they show the bundle holds every entry of its range.
   */
  bounds: z.object({ before: BundleEntry.nullable(), after: BundleEntry.nullable() }).optional(),
});
export type EvidenceBundle = z.infer<typeof EvidenceBundle>;

export async function buildBundle(
  ledger: AuditLedger,
  opts: { from?: string; to?: string; checkpoint: string; verifierKey: string },
): Promise<EvidenceBundle> {
  const text = opts.checkpoint.slice(0, opts.checkpoint.lastIndexOf("\n\n") + 1);
  const cp = parseCheckpoint(text);
  const entries: BundleEntry[] = [];
  const prove = async (e: LedgerEntry): Promise<BundleEntry> => {
    const p = await ledger.proveInclusion(e.seq, cp.size);
    return { seq: e.seq, canonical: canonicalOf(e), leafHash: p.leafHash, proof: p.proof };
  };
  let before: LedgerEntry | undefined;
  let after: LedgerEntry | undefined;
  for await (const e of ledger.query({})) {
    if (e.seq >= cp.size) break;
    if (opts.from && e.time < opts.from) {
      before = e;
      continue;
    }
    if (opts.to && e.time > opts.to) {
      after = e;
      break;
    }
    entries.push(await prove(e));
  }
  return {
    format: "gitops-health-evidence/v1",
    generated: new Date().toISOString(),
    range: { from: opts.from ?? null, to: opts.to ?? null },
    verifierKey: opts.verifierKey,
    checkpoint: opts.checkpoint,
    treeSize: cp.size,
    entries,
    bounds: {
      before: opts.from && before ? await prove(before) : null,
      after: opts.to && after ? await prove(after) : null,
    },
  };
}

function canonicalOf(e: LedgerEntry): string {
  return canonicalize(e)!;
}

export interface BundleVerification {
  ok: boolean;
  problem?: string;
  /** Entries proven (0 unless ok). */
  entries: number;
  /** First and last sequence numbers the bundle covers, when ok. */
  first?: number;
  last?: number;
  /** Sequence numbers of the claimed range the bundle does not hold, as ranges ("5", "7-9"). */
  missing?: string[];
}

/**
 * Offline verification of a bundle; `trusted` is the auditor's own copy of the verifier key.
 * Every entry must be included in the signed tree, and the bundle must hold every entry of the
 * range it claims: the whole tree when it has no time range, else a gap-free run of entries whose
 * neighbours (proven too, in `bounds`) fall outside the range. A partial bundle fails, naming the
 * entries it lacks.
 */
export function verifyBundle(bundle: EvidenceBundle, trusted?: NoteVerifier): BundleVerification {
  const verifier = trusted ?? parseVerifierKey(bundle.verifierKey);
  const v = verifyNote(bundle.checkpoint, [verifier]);
  if (!v.ok) return { ok: false, problem: `checkpoint signature: ${v.reason}`, entries: 0 };
  const cp = parseCheckpoint(v.text!);
  if (cp.size !== bundle.treeSize)
    return {
      ok: false,
      problem: `bundle tree size ${bundle.treeSize} differs from the checkpoint's ${cp.size}`,
      entries: 0,
    };
  const check = (e: BundleEntry, label: string): { problem?: string; time?: string } => {
    const leaf = hashLeaf(Buffer.from(e.canonical, "utf8"));
    if (leaf.toString("hex") !== e.leafHash)
      return { problem: `${label} ${e.seq}: content does not match its leaf hash` };
    let parsed: { seq?: unknown; time?: unknown };
    try {
      parsed = JSON.parse(e.canonical) as { seq?: unknown; time?: unknown };
    } catch {
      return { problem: `${label} ${e.seq}: not valid JSON` };
    }
    if (parsed.seq !== e.seq)
      return { problem: `${label} ${e.seq}: sequence number inside the entry is ${String(parsed.seq)}` };
    if (typeof parsed.time !== "string") return { problem: `${label} ${e.seq}: no time` };
    if (
      e.seq >= cp.size ||
      !verifyInclusion(
        e.seq,
        cp.size,
        leaf,
        e.proof.map((h) => Buffer.from(h, "hex")),
        cp.rootHash,
      )
    ) {
      return { problem: `${label} ${e.seq}: inclusion proof does not lead to the signed root` };
    }
    return { time: parsed.time };
  };
  const { from, to } = bundle.range;
  const seen = new Set<number>();
  for (const e of bundle.entries) {
    const r = check(e, "entry");
    if (r.problem) return { ok: false, problem: r.problem, entries: 0 };
    if (seen.has(e.seq)) return { ok: false, problem: `entry ${e.seq}: appears twice`, entries: 0 };
    seen.add(e.seq);
    if ((from && r.time! < from) || (to && r.time! > to))
      return { ok: false, problem: `entry ${e.seq}: time ${r.time} is outside the bundle's range`, entries: 0 };
  }
  // The run of sequence numbers the bundle must hold.
  let start = 0;
  let end = cp.size - 1;
  const before = bundle.bounds?.before ?? null;
  const after = bundle.bounds?.after ?? null;
  if (from && before) {
    const r = check(before, "boundary entry");
    if (r.problem) return { ok: false, problem: r.problem, entries: 0 };
    if (!(r.time! < from))
      return {
        ok: false,
        problem: `boundary entry ${before.seq}: time ${r.time} is not before the range start ${from}`,
        entries: 0,
      };
    start = before.seq + 1;
  }
  if (to && after) {
    const r = check(after, "boundary entry");
    if (r.problem) return { ok: false, problem: r.problem, entries: 0 };
    if (!(r.time! > to))
      return {
        ok: false,
        problem: `boundary entry ${after.seq}: time ${r.time} is not after the range end ${to}`,
        entries: 0,
      };
    end = after.seq - 1;
  }
  const missing: string[] = [];
  let count = 0;
  for (let s = start; s <= end; s++) {
    if (seen.has(s)) {
      count++;
      continue;
    }
    let t = s;
    while (t + 1 <= end && !seen.has(t + 1)) t++;
    missing.push(t === s ? `${s}` : `${s}-${t}`);
    s = t;
  }
  for (const s of seen)
    if (s < start || s > end)
      return { ok: false, problem: `entry ${s}: outside the range the bundle's boundary entries prove`, entries: 0 };
  if (missing.length > 0) {
    const n = end - start + 1 - count;
    return {
      ok: false,
      problem: `bundle is partial: of entries ${start}-${end} of the signed tree (size ${cp.size}) it lacks ${n}: ${missing.slice(0, 20).join(", ")}${missing.length > 20 ? ", ..." : ""}`,
      entries: 0,
      missing,
    };
  }
  return { ok: true, entries: count, ...(count > 0 ? { first: start, last: end } : {}) };
}

export function bundleToCsv(b: EvidenceBundle): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const lines = [
    `# gitops-health evidence export; tree size ${b.treeSize}; verifier key ${b.verifierKey}`,
    "seq,time,type,actor,subject,payload,leaf_hash,inclusion_proof",
  ];
  for (const e of b.entries) {
    const x = JSON.parse(e.canonical) as LedgerEntry;
    lines.push(
      [
        x.seq,
        q(x.time),
        q(x.type),
        q(x.actor),
        q(x.subject ?? ""),
        q(JSON.stringify(x.payload)),
        e.leafHash,
        e.proof.join(";"),
      ].join(","),
    );
  }
  return lines.join("\n") + "\n";
}

export function bundleToMarkdown(b: EvidenceBundle): string {
  const rows = b.entries.map((e) => {
    const x = JSON.parse(e.canonical) as LedgerEntry;
    return `| ${x.seq} | ${x.time} | ${x.type} | ${x.actor} | ${x.subject ?? ""} | \`${e.leafHash.slice(0, 16)}…\` |`;
  });
  return [
    "# Audit evidence",
    "",
    `Generated ${b.generated}. Range: ${b.range.from ?? "start"} to ${b.range.to ?? "now"}. ${b.entries.length} entries of a tree of ${b.treeSize}.`,
    "",
    "Verify offline: `gitops-health audit verify --bundle THIS_FILE --key VERIFIER_KEY` (use your own trusted copy of the key).",
    "",
    "| seq | time | type | actor | subject | leaf hash |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "## Signed checkpoint",
    "",
    "```",
    b.checkpoint.trimEnd(),
    "```",
    "",
    "## Machine-readable bundle",
    "",
    "```json",
    JSON.stringify(b),
    "```",
    "",
  ].join("\n");
}

/** Read a bundle from JSON, or from the JSON block of a markdown export. */
export function parseBundle(text: string): EvidenceBundle {
  let json = text.trim();
  if (!json.startsWith("{")) {
    const m = /```json\n([\s\S]*?)\n```/.exec(text);
    if (!m) throw new Error("no machine-readable bundle found (export with --format json or markdown)");
    json = m[1]!;
  }
  return EvidenceBundle.parse(JSON.parse(json));
}
