/**
 * API tokens: `ghst_<id>_<secret>` with 256 random bits of secret. Only SHA-256 of the whole
 * token is stored (a high-entropy token needs no slow hash); lookup is by the public id, then a
 * constant-time comparison of the hashes. Stored beside the ledger: a 0600 JSON file next to a
 * directory ledger, or the `tokens` table of the PostgreSQL ledger (created by `db migrate`).
 */
import * as crypto from "node:crypto";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, watch, type FSWatcher } from "node:fs";
import { dirname, join } from "node:path";
import type { Pool } from "pg";
import { UserError } from "../core/errors.js";
import { writeFileAtomic } from "../core/fs.js";

export const SCOPES = ["scan", "decide", "ledger:append", "runs:approve", "admin", "llm", "phi:restore"] as const;
export type Scope = (typeof SCOPES)[number];

export interface TokenRecord {
  id: string;
  name: string;
  scopes: Scope[];
  /** hex SHA-256 of the full token */
  hash: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

export interface TokenStore {
  readonly location: string;
  insert(r: TokenRecord): Promise<void>;
  get(id: string): Promise<TokenRecord | undefined>;
  list(): Promise<TokenRecord[]>;
  revoke(id: string, at: string): Promise<boolean>;
  /** Throws when the store cannot be read (for /ready). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const TOKEN = /^ghst_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function parseScopes(list: string[]): Scope[] {
  const out = new Set<Scope>();
  for (const s of list
    .flatMap((x) => x.split(","))
    .map((x) => x.trim())
    .filter(Boolean)) {
    if (!(SCOPES as readonly string[]).includes(s))
      throw new UserError(`unknown scope "${s}" (valid: ${SCOPES.join(", ")})`);
    out.add(s as Scope);
  }
  if (out.size === 0) throw new UserError(`a token needs at least one scope (${SCOPES.join(", ")})`);
  return [...out];
}

// The one-shot crypto.hash (Node 20.12+) skips building a Hash object: a third of the cost for a token-sized input.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;
const sha256: (s: string) => string = oneShot
  ? (s) => oneShot("sha256", s, "hex")
  : (s) => createHash("sha256").update(s, "utf8").digest("hex");

/** Each stored record's hash as bytes, decoded once (records are frozen and shared until their store changes). */
const storedHashes = new WeakMap<TokenRecord, Buffer>();
const UNKNOWN = Buffer.alloc(32);
function storedHash(r: TokenRecord | undefined): Buffer {
  if (!r) return UNKNOWN;
  let b = storedHashes.get(r);
  if (!b) storedHashes.set(r, (b = Buffer.from(r.hash, "hex")));
  return b;
}

/** Create a token; the plaintext is returned once and never stored. */
export async function createToken(
  store: TokenStore,
  o: { name: string; scopes: Scope[]; ttlDays?: number; now?: Date },
): Promise<{ token: string; record: TokenRecord }> {
  if (!/^[\w.@:-]{1,80}$/.test(o.name))
    throw new UserError("token name: 1-80 characters of letters, digits, . _ - @ :");
  const id = randomBytes(8).toString("hex");
  const token = `ghst_${id}_${randomBytes(32).toString("base64url")}`;
  const now = o.now ?? new Date();
  const record: TokenRecord = {
    id,
    name: o.name,
    scopes: o.scopes,
    hash: sha256(token),
    createdAt: now.toISOString(),
    ...(o.ttlDays ? { expiresAt: new Date(now.getTime() + o.ttlDays * 86400_000).toISOString() } : {}),
  };
  await store.insert(record);
  return { token, record };
}

/** The token's record when it is valid (known, hash matches, not revoked, not expired). */
export async function verifyToken(
  store: TokenStore,
  token: string,
  now = new Date(),
): Promise<TokenRecord | undefined> {
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const r = await store.get(m[1]!);
  const given = Buffer.from(sha256(token), "hex");
  // Compare even when the id is unknown, so timing does not tell ids apart.
  const stored = storedHash(r);
  const ok = stored.length === given.length && timingSafeEqual(stored, given);
  if (!r || !ok || r.revokedAt) return undefined;
  if (r.expiresAt && r.expiresAt <= now.toISOString()) return undefined;
  return r;
}

/** Where the token file of a directory ledger lives: beside it. */
export function tokenFileFor(ledgerDir: string): string {
  return join(dirname(ledgerDir), "tokens.json");
}

export class FileTokenStore implements TokenStore {
  constructor(readonly location: string) {}

  private cache: { key: string; tokens: readonly TokenRecord[] } | undefined;
  /** a watch on the file's directory: while it reports nothing, the cached records are current without a stat */
  private watcher: FSWatcher | undefined;

  /**
   * Parsed once per file version (mtime, size, inode): `token revoke` in another process takes
   * effect on the next request. The records are frozen and shared (no copy per request); writers copy.
   * The file is stat'ed only after its directory reported a change (writers replace the file by a
   * rename there), or on every read where the directory cannot be watched. On Linux (inotify) the event is
   * queued when the change is made, before any request sent after it; macOS's FSEvents can lag a few tens of ms.
   */
  private read(): readonly TokenRecord[] {
    if (this.watcher && this.cache) return this.cache.tokens;
    // Watch before the stat: a change from then on drops the watch, and the next read looks again.
    this.watch();
    let st;
    try {
      st = statSync(this.location);
    } catch {
      this.cache = undefined;
      return [];
    }
    const key = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (this.cache?.key === key) return this.cache.tokens;
    try {
      const v = JSON.parse(readFileSync(this.location, "utf8")) as { tokens?: TokenRecord[] };
      this.cache = { key, tokens: (v.tokens ?? []).map(freezeRecord) };
      return this.cache.tokens;
    } catch {
      this.cache = undefined;
      throw new UserError(`token file ${this.location} is not valid JSON`);
    }
  }

  /**
   * Any event in the directory (another file, this one, the directory itself moved or removed) ends the
   * watch, so the next read stats the file and watches again (a new directory at that path included).
   */
  private watch(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(dirname(this.location), { persistent: false }, () => this.unwatch());
      this.watcher.on("error", () => this.unwatch());
    } catch {
      this.watcher = undefined; // e.g. the directory does not exist yet: stat on every read
    }
  }
  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private write(tokens: TokenRecord[]): void {
    mkdirSync(dirname(this.location), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.location, JSON.stringify({ tokens }, null, 2) + "\n", { mode: 0o600 });
    chmodSync(this.location, 0o600);
    this.unwatch();
  }

  async insert(r: TokenRecord): Promise<void> {
    this.write([...this.read(), r]);
  }
  async get(id: string): Promise<TokenRecord | undefined> {
    return this.read().find((t) => t.id === id);
  }
  async list(): Promise<TokenRecord[]> {
    return structuredClone([...this.read()]);
  }
  async revoke(id: string, at: string): Promise<boolean> {
    const all = structuredClone([...this.read()]);
    const t = all.find((x) => x.id === id || x.name === id);
    if (!t || t.revokedAt) return false;
    t.revokedAt = at;
    this.write(all);
    return true;
  }
  async ping(): Promise<void> {
    this.read();
  }
  async close(): Promise<void> {
    this.unwatch();
  }
}

export class PgTokenStore implements TokenStore {
  constructor(
    readonly location: string,
    private readonly pool: Pool,
    private readonly table: string,
  ) {}

  async insert(r: TokenRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table} (id, name, scopes, hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [r.id, r.name, r.scopes, r.hash, r.createdAt, r.expiresAt ?? null],
    );
  }
  /**
   * Records read in the last `cacheMs` (default 1 s): a replica does not query PostgreSQL on every
   * request, and a revocation reaches every replica within that time (at once in the revoking one).
   */
  private readonly cache = new Map<string, { at: number; record: Promise<TokenRecord | undefined> }>();
  cacheMs = 1_000;

  async get(id: string): Promise<TokenRecord | undefined> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < this.cacheMs) return hit.record;
    if (this.cache.size > 10_000) this.cache.clear();
    // frozen and shared by every request within cacheMs (no copy per request)
    const record = this.pool
      .query<Row>(`SELECT * FROM ${this.table} WHERE id = $1`, [id])
      .then((q) => (q.rows[0] ? freezeRecord(fromRow(q.rows[0])) : undefined));
    this.cache.set(id, { at: now, record });
    record.catch(() => this.cache.delete(id));
    return record;
  }
  async list(): Promise<TokenRecord[]> {
    const q = await this.pool.query<Row>(`SELECT * FROM ${this.table} ORDER BY created_at`);
    return q.rows.map(fromRow);
  }
  async revoke(id: string, at: string): Promise<boolean> {
    this.cache.clear();
    const q = await this.pool.query(
      `UPDATE ${this.table} SET revoked_at = $2 WHERE (id = $1 OR name = $1) AND revoked_at IS NULL`,
      [id, at],
    );
    return (q.rowCount ?? 0) > 0;
  }
  async ping(): Promise<void> {
    await this.pool.query(`SELECT 1 FROM ${this.table} LIMIT 1`);
  }
  async close(): Promise<void> {}
}

interface Row {
  id: string;
  name: string;
  scopes: string[];
  hash: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

function freezeRecord(r: TokenRecord): TokenRecord {
  Object.freeze(r.scopes);
  return Object.freeze(r);
}

function fromRow(r: Row): TokenRecord {
  return {
    id: r.id,
    name: r.name,
    scopes: r.scopes as Scope[],
    hash: r.hash,
    createdAt: r.created_at.toISOString(),
    ...(r.expires_at ? { expiresAt: r.expires_at.toISOString() } : {}),
    ...(r.revoked_at ? { revokedAt: r.revoked_at.toISOString() } : {}),
  };
}
