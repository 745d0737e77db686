/**
 * The service's storage: the embedded directory ledger (tokens in a 0600 file beside it, the
 * decision digest key too) when no database is configured, else the PostgreSQL ledger with its
 * tokens table (migrations in db.ts).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { openLedger, ledgerLocation, type LedgerDurability } from "../audit/index.js";
import type { AuditLedger } from "../audit/ledger.js";
import { UserError } from "../core/errors.js";
import { writeFileAtomic } from "../core/fs.js";
import { LATEST_MIGRATION, migrate, openPool, schemaVersion } from "./db.js";
import { FileTokenStore, PgTokenStore, tokenFileFor, type TokenStore } from "./tokens.js";
import { FileRepoStore, PgRepoStore, type RepoStore } from "./repos.js";
import { readEnv } from "../config/env.js";

export interface ServiceStores {
  ledger: AuditLedger;
  tokens: TokenStore;
  repos: RepoStore;
  /** the PostgreSQL URL (jobs need it), when the stores are there */
  databaseUrl?: string;
  /** "postgres" or "directory" */
  kind: "postgres" | "directory";
  location: string;
  readiness: () => Promise<string | undefined>;
  digestKey?: string;
  warnings: string[];
  close(): Promise<void>;
}

export const databaseUrlFrom = (flag?: string): string | undefined =>
  flag ?? process.env.GITOPS_HEALTH_DATABASE_URL ?? undefined;

/** Open the tokens only (for `token create|list|revoke`). */
export async function openTokenStore(o: {
  databaseUrl?: string;
  ledger?: string;
}): Promise<{ tokens: TokenStore; close(): Promise<void> }> {
  if (o.databaseUrl) {
    const { pool, prefix } = await openPool(o.databaseUrl, 2);
    try {
      if ((await schemaVersion(pool, prefix)) < LATEST_MIGRATION)
        throw new UserError("the database schema is not migrated: run gitops-health db migrate");
    } catch (err) {
      await pool.end();
      if (err instanceof UserError) throw err;
      throw new UserError(`cannot reach PostgreSQL: ${(err as Error).message}`);
    }
    return { tokens: new PgTokenStore(`${prefix}tokens`, pool, `${prefix}tokens`), close: () => pool.end() };
  }
  const dir = ledgerLocation(o.ledger ?? readEnv().ledger);
  if (/^postgres(ql)?:\/\//.test(dir)) return openTokenStore({ databaseUrl: dir });
  return { tokens: new FileTokenStore(tokenFileFor(dir)), close: async () => {} };
}

export async function openServiceStores(o: {
  databaseUrl?: string;
  ledger?: string;
  migrate?: boolean;
  /** when the ledger acknowledges an append (default disk) */
  durability?: LedgerDurability;
  /** directory ledger, process durability: background sync interval (default 10 ms) */
  syncIntervalMs?: number;
}): Promise<ServiceStores> {
  const envKey = process.env.GITOPS_HEALTH_LEDGER_HMAC_KEY;
  if (o.databaseUrl) {
    const { pool, prefix } = await openPool(o.databaseUrl, 4);
    try {
      if (o.migrate) await migrate(pool, prefix);
      else await schemaVersion(pool, prefix);
    } catch (err) {
      await pool.end();
      if (err instanceof UserError) throw err;
      throw new UserError(`cannot reach PostgreSQL: ${(err as Error).message}`);
    }
    const ledger = await openLedger(o.databaseUrl, { durability: o.durability }).catch(async (err: unknown) => {
      await pool.end();
      throw err;
    });
    const warnings = envKey
      ? []
      : [
          "GITOPS_HEALTH_LEDGER_HMAC_KEY is not set: decision input digests use a random per-process key (not comparable across replicas or restarts)",
        ];
    return {
      ledger,
      tokens: new PgTokenStore(`${prefix}tokens`, pool, `${prefix}tokens`),
      repos: new PgRepoStore(pool, `${prefix}repos`),
      databaseUrl: o.databaseUrl,
      kind: "postgres",
      location: ledger.location,
      digestKey: envKey,
      warnings,
      readiness: async () => {
        const v = await schemaVersion(pool, prefix);
        return v < LATEST_MIGRATION
          ? `database schema at version ${v}, ${LATEST_MIGRATION} needed (run gitops-health db migrate, or serve --migrate)`
          : undefined;
      },
      close: async () => {
        await ledger.close().catch(() => undefined);
        await pool.end().catch(() => undefined);
      },
    };
  }
  const dir = ledgerLocation(o.ledger ?? readEnv().ledger);
  if (/^postgres(ql)?:\/\//.test(dir)) return openServiceStores({ ...o, databaseUrl: dir });
  const ledger = await openLedger(dir, { durability: o.durability, syncIntervalMs: o.syncIntervalMs });
  return {
    ledger,
    tokens: new FileTokenStore(tokenFileFor(dir)),
    repos: new FileRepoStore(join(dirname(dir), "service-repos.json")),
    kind: "directory",
    location: dir,
    digestKey: envKey ?? localKey(join(dirname(dir), "service-digest.key")),
    warnings: [...ledger.warnings],
    readiness: async () => undefined,
    close: () => ledger.close(),
  };
}

/** A random key kept in a 0600 file beside the embedded ledger, created on first use. */
function localKey(file: string): string {
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString("base64url");
  writeFileAtomic(file, key + "\n", { mode: 0o600 });
  return key;
}
