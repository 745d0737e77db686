import { resolve } from "node:path";
import { AuditLedger, type LedgerOptions } from "./ledger.js";
import { DirStore, type LedgerDurability } from "./dir-store.js";
import { repoRoot } from "../git/exec.js";

export {
  DEFAULT_SYNC_INTERVAL_MS,
  LEDGER_DURABILITY_LEVELS,
  LedgerUnavailableError,
  type LedgerDurability,
} from "./dir-store.js";
export type { AppendResult, Ledger, LedgerEntry, LedgerEntryInput, LedgerQuery } from "./types.js";
export {
  AuditLedger,
  verifyExportedInclusion,
  type InclusionProof,
  type VerifyResult,
  type LedgerOptions,
} from "./ledger.js";

/** Default ledger directory, relative to the repository root (or the working directory). */
export const DEFAULT_LEDGER_DIR = ".gitops-health/ledger";

/** Where the ledger lives: explicit spec (the CLI passes flag, GITOPS_HEALTH_LEDGER or config), or the default directory. */
export function ledgerLocation(spec?: string, cwd: string = process.cwd()): string {
  const s = spec;
  if (s && /^postgres(ql)?:\/\//.test(s)) return s;
  if (s) return resolve(cwd, s);
  return resolve(repoRoot(cwd) ?? cwd, DEFAULT_LEDGER_DIR);
}

/** Open the ledger named by `spec` (directory or postgres:// URL), or the default. */
export async function openLedger(
  spec?: string,
  options: {
    cwd?: string;
    readOnly?: boolean;
    durability?: LedgerDurability;
    syncIntervalMs?: number;
  } & LedgerOptions = {},
): Promise<AuditLedger> {
  const location = ledgerLocation(spec, options.cwd);
  if (/^postgres(ql)?:\/\//.test(location)) {
    const { PgStore } = await import("./pg-store.js");
    return new AuditLedger(
      await PgStore.open(location, { readOnly: options.readOnly, durability: options.durability }),
      options,
    );
  }
  return new AuditLedger(
    await DirStore.open(location, {
      readOnly: options.readOnly,
      durability: options.durability,
      syncIntervalMs: options.syncIntervalMs,
    }),
    options,
  );
}
