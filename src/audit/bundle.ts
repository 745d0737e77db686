import { z } from "zod";
import { hashLeaf, verifyInclusion } from "./merkle.js";
import { parseCheckpoint, verifyNote } from "./note.js";
import type { NoteVerifier } from "../core/note-key.js";
import { parseVerifierKey } from "../core/note-key.js";
import type { AuditLedger } from "./ledger.js";
import type { LedgerEntry } from "./types.js";

/** Evidence bundle: entries with inclusion proofs against one signed checkpoint. */
export const EvidenceBundle = z.object({
  format: z.literal("gitops-health-evidence/v1"),
  generated: z.string(),
  range: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
  verifierKey: z.string(),
  checkpoint: z.string(),
  treeSize: z.number().int().nonnegative(),
  entries: z.array(z.object({ seq: z.number().int().nonnegative(), canonical: z.string(), leafHash: z.string(), proof: z.array(z.string()) })),
});
export type EvidenceBundle = z.infer<typeof EvidenceBundle>;

export async function buildBundle(ledger: AuditLedger, opts: { from?: string; to?: string; checkpoint: string; verifierKey: string }): Promise<EvidenceBundle> {
  const text = opts.checkpoint.slice(0, opts.checkpoint.lastIndexOf("\n\n") + 1);
  const cp = parseCheckpoint(text);
  const entries: EvidenceBundle["entries"] = [];
  for await (const e of ledger.query({})) {
    if (e.seq >= cp.size) break;
    if (opts.from && e.time < opts.from) continue;
    if (opts.to && e.time > opts.to) continue;
    const p = await ledger.proveInclusion(e.seq, cp.size);
    entries.push({ seq: e.seq, canonical: canonicalOf(e), leafHash: p.leafHash, proof: p.proof });
  }
  return { format: "gitops-health-evidence/v1", generated: new Date().toISOString(), range: { from: opts.from ?? null, to: opts.to ?? null }, verifierKey: opts.verifierKey, checkpoint: opts.checkpoint, treeSize: cp.size, entries };
}

import canonicalize from "canonicalize";
function canonicalOf(e: LedgerEntry): string {
  return canonicalize(e)!;
}

/** Offline verification of a bundle; `trusted` is the auditor's own copy of the verifier key. */
export function verifyBundle(bundle: EvidenceBundle, trusted?: NoteVerifier): { ok: boolean; problem?: string; entries: number } {
  const verifier = trusted ?? parseVerifierKey(bundle.verifierKey);
  const v = verifyNote(bundle.checkpoint, [verifier]);
  if (!v.ok) return { ok: false, problem: `checkpoint signature: ${v.reason}`, entries: 0 };
  const cp = parseCheckpoint(v.text!);
  if (cp.size !== bundle.treeSize) return { ok: false, problem: `bundle tree size ${bundle.treeSize} differs from the checkpoint's ${cp.size}`, entries: 0 };
  for (const e of bundle.entries) {
    const leaf = hashLeaf(Buffer.from(e.canonical, "utf8"));
    if (leaf.toString("hex") !== e.leafHash) return { ok: false, problem: `entry ${e.seq}: content does not match its leaf hash`, entries: 0 };
    let parsed: { seq?: unknown };
    try {
      parsed = JSON.parse(e.canonical) as { seq?: unknown };
    } catch {
      return { ok: false, problem: `entry ${e.seq}: not valid JSON`, entries: 0 };
    }
    if (parsed.seq !== e.seq) return { ok: false, problem: `entry ${e.seq}: sequence number inside the entry is ${String(parsed.seq)}`, entries: 0 };
    if (!verifyInclusion(e.seq, cp.size, leaf, e.proof.map((h) => Buffer.from(h, "hex")), cp.rootHash)) {
      return { ok: false, problem: `entry ${e.seq}: inclusion proof does not lead to the signed root`, entries: 0 };
    }
  }
  return { ok: true, entries: bundle.entries.length };
}

export function bundleToCsv(b: EvidenceBundle): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const lines = [
    `# gitops-health evidence export; tree size ${b.treeSize}; verifier key ${b.verifierKey}`,
    "seq,time,type,actor,subject,payload,leaf_hash,inclusion_proof",
  ];
  for (const e of b.entries) {
    const x = JSON.parse(e.canonical) as LedgerEntry;
    lines.push([x.seq, q(x.time), q(x.type), q(x.actor), q(x.subject ?? ""), q(JSON.stringify(x.payload)), e.leafHash, e.proof.join(";")].join(","));
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
