// gitops-health/audit: the tamper-evident ledger.
export { openLedger } from "../audit/index.js";
export { isReservedType } from "../audit/reserved.js";
export type { Ledger, LedgerEntry, LedgerEntryInput, AppendResult } from "../audit/types.js";
