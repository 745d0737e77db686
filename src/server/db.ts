/**
 * The service's PostgreSQL schema beside the ledger's tables (which `PgStore` creates itself):
 * versioned migrations recorded in `<prefix>schema_migrations`, applied in order inside one
 * transaction under an advisory lock, so replicas starting together migrate once.
 */
import type { Pool } from "pg";
import { UserError } from "../core/errors.js";

export const MIGRATIONS: { version: number; name: string; sql: (prefix: string) => string[] }[] = [
  {
    version: 1,
    name: "api tokens",
    sql: (p) => [
      `CREATE TABLE IF NOT EXISTS ${p}tokens (id text PRIMARY KEY, name text NOT NULL, scopes text[] NOT NULL, hash text NOT NULL, created_at timestamptz NOT NULL, expires_at timestamptz, revoked_at timestamptz)`,
      `CREATE INDEX IF NOT EXISTS ${p}tokens_name ON ${p}tokens (name)`,
    ],
  },
  {
    version: 2,
    name: "registered repositories",
    sql: (p) => [
      `CREATE TABLE IF NOT EXISTS ${p}repos (name text PRIMARY KEY, path text NOT NULL, created_at timestamptz NOT NULL, created_by text NOT NULL)`,
    ],
  },
];

export const LATEST_MIGRATION = MIGRATIONS.at(-1)!.version;

/** Pool and table prefix for a postgres:// URL (its `?table_prefix=` as the ledger reads it). */
export async function openPool(url: string, max = 4): Promise<{ pool: Pool; prefix: string }> {
  const u = new URL(url);
  const prefix = u.searchParams.get("table_prefix") ?? "gitops_health_";
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) throw new UserError(`invalid table_prefix "${prefix}"`);
  u.searchParams.delete("table_prefix");
  const pg = (await import("pg")).default;
  const pool = new pg.Pool({ connectionString: u.toString(), max, connectionTimeoutMillis: 5000 });
  pool.on("error", () => {
    /* idle client errors surface on the next query */
  });
  return { pool, prefix };
}

export async function schemaVersion(pool: Pool, prefix: string): Promise<number> {
  const t = await pool.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [`${prefix}schema_migrations`]);
  if (!t.rows[0]?.t) return 0;
  const r = await pool.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${prefix}schema_migrations`);
  return r.rows[0]?.v ?? 0;
}

/** Apply pending migrations; returns the versions applied. */
export async function migrate(pool: Pool, prefix: string): Promise<number[]> {
  const c = await pool.connect();
  const applied: number[] = [];
  try {
    await c.query("BEGIN");
    await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`gitops-health-migrate:${prefix}`]);
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${prefix}schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await c.query<{ version: number }>(`SELECT version FROM ${prefix}schema_migrations`)).rows.map((r) => r.version),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const s of m.sql(prefix)) await c.query(s);
      await c.query(`INSERT INTO ${prefix}schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    await c.query("COMMIT");
  } catch (err) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw new UserError(`migration failed: ${(err as Error).message}`);
  } finally {
    c.release();
  }
  return applied;
}
