/**
 * The GITOPS_HEALTH_* environment variables, named and read in one place. Fronts (src/cli,
 * src/server) call `readEnv()` once and pass the values down as options; domain code never reads
 * `process.env` (eslint.config.js enforces it).
 */
export type Environment = Readonly<Record<string, string | undefined>>;

export interface EnvSettings {
  /** GITOPS_HEALTH_LEDGER: ledger directory or postgres:// URL */
  ledger?: string;
  /** GITOPS_HEALTH_LEDGER_KEY: checkpoint signing key file */
  ledgerKey?: string;
  /** GITOPS_HEALTH_LEDGER_HMAC_KEY: key for hashing PHI in ledger entries (`phi: hash`) */
  ledgerHmacKey?: string;
  /** GITOPS_HEALTH_EVIDENCE_KEY: producer key file for signed check results */
  evidenceKey?: string;
  /** GITOPS_HEALTH_LLM_PROVIDER */
  llmProvider?: string;
  /** GITOPS_HEALTH_LLM_MODEL */
  llmModel?: string;
  /** GITOPS_HEALTH_SCAN_THREADS: worker threads for large scans */
  scanThreads?: number;
  /** GITOPS_HEALTH_SCAN_PARALLEL_BYTES: input size from which scans go parallel */
  scanParallelBytes?: number;
  /** GITOPS_HEALTH_LEDGER_DURABILITY: disk or process (serve; checked by the front) */
  ledgerDurability?: string;
  /** GITOPS_HEALTH_LEDGER_SYNC_INTERVAL_MS: background sync interval under process durability */
  ledgerSyncIntervalMs?: number;
  /** GITOPS_HEALTH_DATABASE_URL */
  databaseUrl?: string;
  /** GITOPS_HEALTH_DEBUG: print stacks */
  debug: boolean;
  /** GITOPS_HEALTH_NO_CONFIG_CACHE: validate the config on every run (src/config/fast.ts) */
  noConfigCache: boolean;
}

const text = (v: string | undefined): string | undefined => (v === undefined || v === "" ? undefined : v);
const positive = (v: string | undefined): number | undefined => {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/** The settings the environment gives (the process environment unless another is passed). */
export function readEnv(env: Environment = process.env): EnvSettings {
  return {
    ledger: text(env.GITOPS_HEALTH_LEDGER),
    ledgerKey: text(env.GITOPS_HEALTH_LEDGER_KEY),
    ledgerHmacKey: text(env.GITOPS_HEALTH_LEDGER_HMAC_KEY),
    evidenceKey: text(env.GITOPS_HEALTH_EVIDENCE_KEY),
    llmProvider: text(env.GITOPS_HEALTH_LLM_PROVIDER),
    llmModel: text(env.GITOPS_HEALTH_LLM_MODEL),
    scanThreads: positive(env.GITOPS_HEALTH_SCAN_THREADS),
    scanParallelBytes: positive(env.GITOPS_HEALTH_SCAN_PARALLEL_BYTES),
    ledgerDurability: text(env.GITOPS_HEALTH_LEDGER_DURABILITY),
    ledgerSyncIntervalMs: positive(env.GITOPS_HEALTH_LEDGER_SYNC_INTERVAL_MS),
    databaseUrl: text(env.GITOPS_HEALTH_DATABASE_URL),
    debug: Boolean(env.GITOPS_HEALTH_DEBUG),
    noConfigCache: Boolean(env.GITOPS_HEALTH_NO_CONFIG_CACHE),
  };
}

/** The whole process environment, for settings that name their variable in config (API keys). */
export function processEnvironment(): Environment {
  return process.env;
}
