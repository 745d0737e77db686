/**
 * gitops-health library API. Each domain is usable without the CLI.
 */
export { scanText, redact } from "./phi/index.js";
export type { Finding, ScanTextOptions } from "./phi/types.js";
export { openLedger } from "./audit/index.js";
export type { Ledger, LedgerEntry, LedgerEntryInput, AppendResult } from "./audit/types.js";
export { loadConfig, parseConfigText } from "./config/load.js";
export { Config } from "./config/schema.js";
export type { Classification } from "./config/schema.js";
export { loadBuiltinPack } from "./policy/packs.js";
export { UserError, ExitCode } from "./core/errors.js";
