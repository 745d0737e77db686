// PLACEHOLDER ledger: a minimal JSONL store so other domains can code against the Ledger
// interface. The audit-ledger issue replaces this with the Merkle-tree implementation.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createHash } from "node:crypto";
import type { AppendResult, Ledger, LedgerEntry, LedgerEntryInput, LedgerQuery } from "./types.js";

export type { AppendResult, Ledger, LedgerEntry, LedgerEntryInput, LedgerQuery } from "./types.js";

/** Default ledger directory, relative to the repository root. */
export const DEFAULT_LEDGER_DIR = ".gitops-health/ledger";

/** Open the ledger named by `spec` (directory or postgres:// URL), GITOPS_HEALTH_LEDGER, or the default. */
export async function openLedger(spec?: string, options: { cwd?: string } = {}): Promise<Ledger> {
  const location = resolve(options.cwd ?? process.cwd(), spec ?? process.env.GITOPS_HEALTH_LEDGER ?? DEFAULT_LEDGER_DIR);
  mkdirSync(location, { recursive: true });
  const file = join(location, "entries.jsonl");
  const read = (): LedgerEntry[] =>
    existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as LedgerEntry) : [];
  const ledger: Ledger = {
    location,
    async append(input: LedgerEntryInput): Promise<AppendResult> {
      return (await ledger.appendBatch([input]))[0]!;
    },
    async appendBatch(inputs: LedgerEntryInput[]): Promise<AppendResult[]> {
      let seq = read().length;
      const out: AppendResult[] = [];
      for (const i of inputs) {
        const entry: LedgerEntry = { seq, time: new Date().toISOString(), type: i.type, actor: i.actor ?? "unknown", subject: i.subject, payload: i.payload ?? null };
        const line = JSON.stringify(entry);
        appendFileSync(file, line + "\n");
        out.push({ seq, leafHash: createHash("sha256").update(Buffer.concat([Buffer.from([0]), Buffer.from(line)])).digest("hex") });
        seq++;
      }
      return out;
    },
    async size() {
      return read().length;
    },
    async *query(filter: LedgerQuery = {}) {
      for (const e of read()) {
        if (filter.type && e.type !== filter.type) continue;
        if (filter.subject && e.subject !== filter.subject) continue;
        if (filter.actor && e.actor !== filter.actor) continue;
        if (filter.since && e.time < filter.since) continue;
        yield e;
      }
    },
    async close() {},
  };
  return ledger;
}
