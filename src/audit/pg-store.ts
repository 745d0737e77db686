import type { Pool, PoolClient } from "pg";
import { hashLeaf, HASH_SIZE, type LeafSource } from "./merkle.js";
import type { LedgerStore, StoredRecord } from "./store.js";
import { UserError } from "../core/errors.js";

/*
 * PostgreSQL ledger for teams whose CI runners and services share one log.
 * Appends take a transaction-scoped advisory lock, so concurrent appenders from any
 * number of processes are serialised: sequence numbers are gap-free and unique, and the
 * tree never forks. Triggers reject UPDATE, DELETE and TRUNCATE on the tables. `once` holds
 * the keys of appends made at most once (webhook delivery ids), claimed in the append's transaction.
 * The URL may carry `?table_prefix=name_` (default `gitops_health_`), stripped before connecting.
 */
export class PgStore implements LedgerStore {
  /** The next append waits for the lock while one commits (group commit keeps two in flight). */
  readonly appendPipeline = 2;
  readonly warnings: string[] = [];
  /**
   * `disk`: the ledger's transactions commit with the server's `synchronous_commit` (on by default:
   * the commit's WAL flushed before the answer). `process`: `SET LOCAL synchronous_commit = off` in
   * each append's transaction: acknowledged once PostgreSQL has the commit in its WAL buffers, so a
   * crash of this service loses nothing, while a crash of PostgreSQL or its host can lose the last
   * transactions (up to 3 × wal_writer_delay). A checkpoint's own transaction commits synchronously,
   * which flushes the WAL of every append before it.
   */
  readonly durability: "disk" | "process";
  readonly syncIntervalMs = 0;
  /** Statements after BEGIN in each append's transaction. */
  private readonly txSettings: string;

  private constructor(
    readonly location: string,
    private readonly pool: Pool,
    private readonly prefix: string,
    private readonly lockKey: number,
    private readonly escapeLiteral: (s: string) => string,
    durability: "disk" | "process" = "disk",
  ) {
    this.durability = durability;
    this.txSettings = durability === "process" ? " SET LOCAL synchronous_commit TO off;" : "";
  }

  /** The seq after this process's last append: the guess for the next one (see append). */
  private nextSeq: number | undefined;

  /** `readOnly` runs no DDL (verification changes nothing); the tables must exist. */
  static async open(
    url: string,
    options: { readOnly?: boolean; durability?: "disk" | "process" } = {},
  ): Promise<PgStore> {
    const u = new URL(url);
    const prefix = u.searchParams.get("table_prefix") ?? "gitops_health_";
    if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) throw new UserError(`invalid table_prefix "${prefix}"`);
    u.searchParams.delete("table_prefix");
    const pg = (await import("pg")).default;
    const pool = new pg.Pool({ connectionString: u.toString(), max: 4 });
    pool.on("error", () => {
      /* idle client errors surface on the next query */
    });
    const lockKey = hash32(`gitops-health:${prefix}`);
    const store = new PgStore(redact(u), pool, prefix, lockKey, pg.escapeLiteral, options.durability);
    if (options.readOnly) {
      try {
        await pool.query(`SELECT 1 FROM ${prefix}entries LIMIT 1`);
        await pool.query(`SELECT 1 FROM ${prefix}checkpoints LIMIT 1`);
      } catch (err) {
        await pool.end().catch(() => undefined);
        throw new UserError(`no ledger at ${store.location}: ${(err as Error).message}`);
      }
      return store;
    }
    try {
      await store.tx(async (c) => {
        await c.query(
          `CREATE TABLE IF NOT EXISTS ${prefix}entries (seq bigint PRIMARY KEY, canonical text NOT NULL, leaf_hash bytea NOT NULL)`,
        );
        await c.query(
          `CREATE TABLE IF NOT EXISTS ${prefix}checkpoints (id bigserial PRIMARY KEY, size bigint NOT NULL, note text NOT NULL)`,
        );
        // Keys of appends made at most once (webhook delivery ids): the primary key is the claim.
        await c.query(`CREATE TABLE IF NOT EXISTS ${prefix}once (key text PRIMARY KEY, seq bigint NOT NULL)`);
        await c.query(
          `CREATE OR REPLACE FUNCTION ${prefix}append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'gitops-health ledger is append-only'; END $$`,
        );
        for (const t of ["entries", "checkpoints", "once"]) {
          await c.query(`DROP TRIGGER IF EXISTS ${prefix}${t}_no_change ON ${prefix}${t}`);
          await c.query(
            `CREATE TRIGGER ${prefix}${t}_no_change BEFORE UPDATE OR DELETE ON ${prefix}${t} FOR EACH ROW EXECUTE FUNCTION ${prefix}append_only()`,
          );
          await c.query(`DROP TRIGGER IF EXISTS ${prefix}${t}_no_truncate ON ${prefix}${t}`);
          await c.query(
            `CREATE TRIGGER ${prefix}${t}_no_truncate BEFORE TRUNCATE ON ${prefix}${t} FOR EACH STATEMENT EXECUTE FUNCTION ${prefix}append_only()`,
          );
        }
      });
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new UserError(`cannot open PostgreSQL ledger ${store.location}: ${(err as Error).message}`);
    }
    return store;
  }

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      await c.query("SELECT pg_advisory_xact_lock($1)", [this.lockKey]);
      const r = await fn(c);
      await c.query("COMMIT");
      return r;
    } catch (err) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /**
   * Appends commit in one round trip when this process wrote the last entry (the common case of a
   * single replica, or one taking turns): the entries are built at the seq after this process's
   * last append and sent with BEGIN, the lock, an INSERT guarded by "the log still ends there" and
   * COMMIT in one simple query. When another writer appended meanwhile the guard inserts nothing
   * and the append is redone the careful way (read the next seq under the lock, then build). Either
   * way the rows are written only at the seq they were built for, so the log has no gaps, and an
   * entry is never older than the last one (built after it, or under the lock).
   */
  async append(build: (startSeq: number) => Buffer[]): Promise<{ seq: number; leafHash: Buffer }[]> {
    const guess = this.nextSeq;
    this.nextSeq = undefined;
    if (guess !== undefined) {
      const datas = build(guess);
      if (datas.length > 0 && datas.length <= 1000) {
        // An append started while this one commits (group commit keeps two in flight) builds after
        // it: it waits for the lock meanwhile and commits right after, or redoes its append when
        // this one fails.
        this.nextSeq = guess + datas.length;
        const out = datas.map((d, i) => ({ seq: guess + i, leafHash: hashLeaf(d) }));
        const rows = datas.map(
          (d, i) =>
            `(${guess + i}, ${this.escapeLiteral(d.toString("utf8"))}, decode('${out[i]!.leafHash.toString("hex")}', 'hex'))`,
        );
        const c = await this.pool.connect();
        let inserted: number;
        try {
          const r = (await c.query(
            `BEGIN;${this.txSettings} SELECT pg_advisory_xact_lock(${Math.trunc(this.lockKey)}); ` +
              `INSERT INTO ${this.prefix}entries (seq, canonical, leaf_hash) SELECT v.seq, v.canonical, v.leaf_hash FROM (VALUES ${rows.join(",")}) AS v(seq, canonical, leaf_hash) ` +
              `WHERE (SELECT coalesce(max(seq) + 1, 0) FROM ${this.prefix}entries) = ${guess}; COMMIT`,
          )) as unknown as { rowCount: number | null }[];
          inserted = r.at(-2)!.rowCount ?? 0;
        } catch (err) {
          this.nextSeq = undefined;
          await c.query("ROLLBACK").catch(() => undefined);
          throw err;
        } finally {
          c.release();
        }
        if (inserted === datas.length) return out;
        this.nextSeq = undefined;
        if (inserted !== 0) throw new Error(`ledger append at ${guess}: ${inserted} of ${datas.length} rows written`);
      }
    }
    return (await this.appendTx(build))!;
  }

  /** In the append's transaction: `INSERT ... ON CONFLICT DO NOTHING` of the key; none inserted, nothing appended. */
  async appendOnce(
    key: string,
    build: (startSeq: number) => Buffer[],
  ): Promise<{ seq: number; leafHash: Buffer }[] | null> {
    return this.appendTx(build, key);
  }

  private async appendTx(
    build: (startSeq: number) => Buffer[],
    once?: string,
  ): Promise<{ seq: number; leafHash: Buffer }[] | null> {
    const c = await this.pool.connect();
    try {
      // One round trip for BEGIN, the lock and the next seq (statements of one simple query run in
      // order, so the seq is read under the lock; the key is this store's integer, not input).
      const head = (await c.query(
        `BEGIN;${this.txSettings} SELECT pg_advisory_xact_lock(${Math.trunc(this.lockKey)}); SELECT coalesce(max(seq) + 1, 0) AS n FROM ${this.prefix}entries`,
      )) as unknown as { rows: { n?: string }[] }[];
      const start = Number(head.at(-1)!.rows[0]!.n);
      if (once !== undefined) {
        const claimed = await c.query(
          `INSERT INTO ${this.prefix}once (key, seq) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
          [once, start],
        );
        if (claimed.rowCount !== 1) {
          await c.query("ROLLBACK");
          return null;
        }
      }
      const datas = build(start);
      const out = datas.map((d, i) => ({ seq: start + i, leafHash: hashLeaf(d) }));
      for (let i = 0; i < datas.length; i += 1000) {
        const chunk = datas.slice(i, i + 1000);
        const values: unknown[] = [];
        const rows = chunk.map((d, j) => {
          values.push(start + i + j, d.toString("utf8"), out[i + j]!.leafHash);
          return `($${3 * j + 1}, $${3 * j + 2}, $${3 * j + 3})`;
        });
        await c.query(`INSERT INTO ${this.prefix}entries (seq, canonical, leaf_hash) VALUES ${rows.join(",")}`, values);
      }
      await c.query("COMMIT");
      this.nextSeq = start + datas.length;
      return out;
    } catch (err) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async size(): Promise<number> {
    const r = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.prefix}entries`);
    return Number(r.rows[0]!.n);
  }

  async leaves(): Promise<LeafSource> {
    const r = await this.pool.query<{ leaf_hash: Buffer }>(`SELECT leaf_hash FROM ${this.prefix}entries ORDER BY seq`);
    const hashes = r.rows.map((x) => x.leaf_hash);
    if (hashes.some((h) => h.length !== HASH_SIZE)) throw new UserError("ledger table holds a malformed leaf hash");
    return { size: hashes.length, leaf: (i) => hashes[i]! };
  }

  async *records(from = 0, to = Number.MAX_SAFE_INTEGER): AsyncIterable<StoredRecord> {
    const PAGE = 5000;
    let next = from;
    let expected = from;
    for (;;) {
      const r = await this.pool.query<{ seq: string; canonical: string; leaf_hash: Buffer }>(
        `SELECT seq, canonical, leaf_hash FROM ${this.prefix}entries WHERE seq >= $1 AND seq < $2 ORDER BY seq LIMIT ${PAGE}`,
        [next, to],
      );
      for (const row of r.rows) {
        // Report rows by their position so a gap shows up as a sequence mismatch in verify.
        yield { seq: expected++, canonical: Buffer.from(row.canonical, "utf8"), leafHash: row.leaf_hash };
      }
      if (r.rows.length < PAGE) return;
      next = Number(r.rows.at(-1)!.seq) + 1;
    }
  }

  async saveCheckpoint(size: number, note: string): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.prefix}checkpoints (size, note) VALUES ($1, $2)`, [size, note]);
  }

  async checkpoints(): Promise<{ size: number; note: string }[]> {
    const r = await this.pool.query<{ size: string; note: string }>(
      `SELECT size, note FROM ${this.prefix}checkpoints ORDER BY id`,
    );
    return r.rows.map((x) => ({ size: Number(x.size), note: x.note }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

function redact(u: URL): string {
  const c = new URL(u.toString());
  if (c.password) c.password = "***";
  return c.toString();
}
