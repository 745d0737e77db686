/**
 * Registered repositories (`/v1/repos`) and long jobs (`/v1/jobs`) over HTTP. A repository is a
 * local path the service (and its workers) can read, registered by an admin: callers name it,
 * never send a path, so no caller can make the service read an arbitrary directory. Risk scores
 * of a commit run `scoreChange` in-process (one commit's history, bounded); whole-history scans
 * and model training are enqueued (jobs.ts) for `gitops-health worker`.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import type { Pool } from "pg";
import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { writeFileAtomic } from "../core/fs.js";
import { repoRoot } from "../git/exec.js";
import { HttpProblem } from "./problem.js";
import { JOB_KINDS, type JobQueue } from "./jobs.js";
import type { Scope } from "./tokens.js";

export interface RepoRecord {
  name: string;
  path: string;
  createdAt: string;
  createdBy: string;
}

export interface RepoStore {
  add(r: RepoRecord): Promise<boolean>;
  get(name: string): Promise<RepoRecord | undefined>;
  list(): Promise<RepoRecord[]>;
}

/** Embedded mode: a JSON file beside the directory ledger (single process). */
export class FileRepoStore implements RepoStore {
  constructor(private readonly file: string) {}
  private read(): RepoRecord[] {
    if (!existsSync(this.file)) return [];
    return JSON.parse(readFileSync(this.file, "utf8")) as RepoRecord[];
  }
  async add(r: RepoRecord): Promise<boolean> {
    const all = this.read();
    if (all.some((x) => x.name === r.name)) return false;
    writeFileAtomic(this.file, JSON.stringify([...all, r], null, 2) + "\n", { mode: 0o600 });
    return true;
  }
  async get(name: string): Promise<RepoRecord | undefined> {
    return this.read().find((x) => x.name === name);
  }
  async list(): Promise<RepoRecord[]> {
    return this.read();
  }
}

/** Tests and library use without a store. */
export class MemoryRepoStore implements RepoStore {
  private readonly all: RepoRecord[] = [];
  async add(r: RepoRecord): Promise<boolean> {
    if (this.all.some((x) => x.name === r.name)) return false;
    this.all.push(r);
    return true;
  }
  async get(name: string): Promise<RepoRecord | undefined> {
    return this.all.find((x) => x.name === name);
  }
  async list(): Promise<RepoRecord[]> {
    return [...this.all];
  }
}

/** PostgreSQL: the `<prefix>repos` table (migration 2), shared by every replica. */
export class PgRepoStore implements RepoStore {
  constructor(
    private readonly pool: Pool,
    private readonly table: string,
  ) {}
  async add(r: RepoRecord): Promise<boolean> {
    const q = await this.pool.query(
      `INSERT INTO ${this.table} (name, path, created_at, created_by) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`,
      [r.name, r.path, r.createdAt, r.createdBy],
    );
    return q.rowCount === 1;
  }
  async get(name: string): Promise<RepoRecord | undefined> {
    const q = await this.pool.query<{ name: string; path: string; created_at: Date; created_by: string }>(
      `SELECT name, path, created_at, created_by FROM ${this.table} WHERE name = $1`,
      [name],
    );
    const row = q.rows[0];
    return row
      ? { name: row.name, path: row.path, createdAt: new Date(row.created_at).toISOString(), createdBy: row.created_by }
      : undefined;
  }
  async list(): Promise<RepoRecord[]> {
    const q = await this.pool.query<{ name: string; path: string; created_at: Date; created_by: string }>(
      `SELECT name, path, created_at, created_by FROM ${this.table} ORDER BY name`,
    );
    return q.rows.map((row) => ({
      name: row.name,
      path: row.path,
      createdAt: new Date(row.created_at).toISOString(),
      createdBy: row.created_by,
    }));
  }
}

export interface RepoRoutesOptions {
  repos: RepoStore;
  /** absent: the service runs without a queue (no database), /v1/jobs answers 503 */
  jobs?: JobQueue;
  problem: z.ZodType;
}

const RepoName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)
  .describe("lower-case name, e.g. billing-api");
/** A commit or ref name; never an option (`-...`) nor a range. */
const Rev = z
  .string()
  .max(200)
  .regex(/^(?!-)[A-Za-z0-9._/~^@{}-]+$/)
  .refine((s) => !s.includes(".."), { message: "a single commit, not a range" });
const RepoOut = z.object({ name: z.string(), path: z.string(), createdAt: z.string(), createdBy: z.string() });
const JobKind = z.enum(JOB_KINDS);
const JobOut = z.object({
  id: z.string(),
  kind: JobKind,
  state: z.enum(["created", "retry", "active", "completed", "cancelled", "failed"]),
  retryCount: z.number().int(),
  createdOn: z.string(),
  startedOn: z.string().nullable(),
  completedOn: z.string().nullable(),
  output: z
    .unknown()
    .describe("the worker's result when completed; counts, rule IDs, commits and masked previews only"),
});
const JOB_SCOPE: Record<(typeof JOB_KINDS)[number], Scope> = { "scan.history": "scan", "risk.train": "admin" };

export const repoRoutes: FastifyPluginAsyncZod<RepoRoutesOptions> = async (app, o) => {
  const Problem = o.problem;
  const problems = { 400: Problem, 401: Problem, 403: Problem, 429: Problem };
  const repoOr404 = async (name: string) => {
    const r = await o.repos.get(name);
    if (!r) throw new HttpProblem(404, "Not Found", `no registered repository "${name}" (POST /v1/repos)`);
    return r;
  };

  app.post(
    "/v1/repos",
    {
      config: { access: "admin" },
      schema: {
        summary: "Register a local git repository by name (admin)",
        description:
          "The path must be an absolute path to a git work tree the service and its workers can read. Callers then name the repository; they never send paths.",
        body: z.object({ name: RepoName, path: z.string().min(1).max(4096) }).strict(),
        response: { 201: RepoOut, 409: Problem, ...problems },
      },
    },
    async (req, reply) => {
      const { name, path } = req.body;
      if (!isAbsolute(path)) throw new HttpProblem(400, "Bad Request", "path must be absolute");
      const root = existsSync(path) ? repoRoot(path) : undefined;
      if (!root) throw new HttpProblem(400, "Bad Request", "path is not a git work tree the service can read");
      const rec: RepoRecord = { name, path: root, createdAt: new Date().toISOString(), createdBy: req.principal!.id };
      if (!(await o.repos.add(rec)))
        throw new HttpProblem(409, "Conflict", `a repository named "${name}" is already registered`);
      reply.code(201);
      return rec;
    },
  );

  app.get(
    "/v1/repos",
    {
      config: { access: "any" },
      schema: {
        summary: "Registered repositories",
        response: { 200: z.object({ repos: z.array(RepoOut) }), ...problems },
      },
    },
    async () => ({ repos: await o.repos.list() }),
  );

  app.post(
    "/v1/repos/:name/risk",
    {
      config: { access: "decide" },
      schema: {
        summary: "Risk score of one commit of a registered repository, with its history",
        params: z.object({ name: RepoName }),
        body: z.object({ commit: Rev.default("HEAD") }).strict(),
        response: {
          200: z.object({
            repo: z.string(),
            commit: z.string(),
            score: z.number().int(),
            level: z.enum(["LOW", "MEDIUM", "HIGH", "CRITICAL"]),
            likelihood: z.number().int(),
            strategy: z.enum(["standard", "canary", "blue-green"]),
            approvals: z.number().int(),
            factors: z.array(
              z.object({
                name: z.string(),
                value: z.number(),
                contribution: z.number(),
                explanation: z.string().optional(),
              }),
            ),
            model: z.string(),
            warnings: z.array(z.string()),
          }),
          404: Problem,
          ...problems,
        },
      },
    },
    async (req) => {
      const repo = await repoOr404(req.params.name);
      const { gitSync } = await import("../git/exec.js");
      let commit: string;
      try {
        commit = gitSync(["rev-parse", "--verify", "--end-of-options", `${req.body.commit}^{commit}`], {
          cwd: repo.path,
        }).trim();
      } catch {
        throw new HttpProblem(404, "Not Found", "no such commit in the repository");
      }
      const { scoreChange } = await import("../risk/index.js");
      const r = await scoreChange({ cwd: repo.path, rev: commit });
      return {
        repo: repo.name,
        commit,
        score: r.score,
        level: r.level,
        likelihood: r.likelihood,
        strategy: r.strategy,
        approvals: r.approvals,
        factors: r.factors,
        model: r.model,
        warnings: r.warnings ?? [],
      };
    },
  );

  app.post(
    "/v1/jobs",
    {
      config: { access: "any" },
      schema: {
        summary: "Enqueue a long job on a registered repository: scan.history (scope scan) or risk.train (scope admin)",
        description:
          "Processed by `gitops-health worker` processes; 202 with the job's ID, then poll GET /v1/jobs/{id}. A worker that dies mid-job has its job retried by another after the job timeout. 503 when the service has no database (jobs need PostgreSQL).",
        body: z
          .object({
            kind: JobKind,
            repo: RepoName,
            rev: Rev.optional(),
            maxFixes: z.number().int().min(1).max(100_000).optional(),
          })
          .strict(),
        response: {
          202: z.object({ id: z.string(), kind: JobKind, state: z.literal("created"), status: z.string() }),
          404: Problem,
          503: Problem,
          ...problems,
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const need = JOB_SCOPE[b.kind];
      const p = req.principal!;
      if (!p.scopes.includes(need) && !p.scopes.includes("admin"))
        throw new HttpProblem(403, "Forbidden", `a ${b.kind} job needs scope ${need}`);
      if (!o.jobs)
        throw new HttpProblem(
          503,
          "Service Unavailable",
          "jobs need PostgreSQL: start the service with --database-url",
        );
      if (b.kind === "scan.history" && b.maxFixes !== undefined)
        throw new HttpProblem(400, "Bad Request", "maxFixes is for risk.train");
      if (b.kind === "risk.train" && b.rev !== undefined)
        throw new HttpProblem(400, "Bad Request", "rev is for scan.history");
      const repo = await repoOr404(b.repo);
      const data =
        b.kind === "scan.history"
          ? { repo: repo.name, path: repo.path, ...(b.rev ? { rev: b.rev } : {}) }
          : { repo: repo.name, path: repo.path, ...(b.maxFixes ? { maxFixes: b.maxFixes } : {}) };
      const id = await o.jobs.enqueue(b.kind, data, p.id);
      reply.code(202).header("location", `/v1/jobs/${id}`);
      return { id, kind: b.kind, state: "created" as const, status: `/v1/jobs/${id}` };
    },
  );

  app.get(
    "/v1/jobs/:id",
    {
      config: { access: "any" },
      schema: {
        summary: "A job's state and, once completed, its output",
        params: z.object({ id: z.string().max(100) }),
        response: { 200: JobOut, 404: Problem, 503: Problem, ...problems },
      },
    },
    async (req) => {
      if (!o.jobs)
        throw new HttpProblem(
          503,
          "Service Unavailable",
          "jobs need PostgreSQL: start the service with --database-url",
        );
      const j = await o.jobs.get(req.params.id);
      if (!j) throw new HttpProblem(404, "Not Found", "no such job");
      return j;
    },
  );
};
