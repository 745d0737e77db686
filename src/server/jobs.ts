/**
 * Long jobs on a PostgreSQL-backed queue (pg-boss): the API enqueues, `gitops-health worker`
 * processes (any number, on any host that sees the registered repositories' paths) fetch with
 * `SKIP LOCKED`, and results are stored on the job. A worker that dies mid-job (SIGKILL, node
 * lost) leaves its job `active` until the job's expiry; pg-boss's supervision (run by every
 * instance, throttled to one per interval through the database) then fails it into `retry`, and
 * another worker takes it. Job kinds are thin calls into the domains (`scanHistory`,
 * `buildDataset` + `train`); their outputs hold counts, rule IDs, commits and masked previews,
 * never a matched value or a file path (paths can carry identifiers).
 */
import { z } from "zod";
import type PgBossType from "pg-boss";
import { UserError } from "../core/errors.js";

export const JOB_KINDS = ["scan.history", "risk.train"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** What a job kind is given: the repository's path is resolved from /v1/repos when it is enqueued. */
export const JobData = {
  "scan.history": z.object({ repo: z.string(), path: z.string(), rev: z.string().optional() }),
  "risk.train": z.object({
    repo: z.string(),
    path: z.string(),
    maxFixes: z.number().int().min(1).max(100_000).optional(),
  }),
} as const;

export interface JobStatus {
  id: string;
  kind: JobKind;
  state: "created" | "retry" | "active" | "completed" | "cancelled" | "failed";
  retryCount: number;
  createdOn: string;
  startedOn: string | null;
  completedOn: string | null;
  output: unknown;
}

export interface JobQueueOptions {
  /** PostgreSQL schema for pg-boss's tables (default: the URL's table_prefix + "jobs", i.e. gitops_health_jobs) */
  schema?: string;
  /** a job still active this long is taken as lost (its worker died) and retried */
  expireInSeconds?: number;
  retryLimit?: number;
  /** how often this instance runs the supervision that expires lost jobs (pg-boss throttles it across instances) */
  maintenanceIntervalSeconds?: number;
}

export type JobHandler = (
  data: unknown,
  job: { id: string; kind: JobKind; attempt: number },
) => Promise<Record<string, unknown>>;

const queueName = (kind: JobKind) => `gitops-health.${kind}`;

export class JobQueue {
  private constructor(
    private readonly boss: PgBossType,
    private readonly options: JobQueueOptions,
  ) {}

  static async open(databaseUrl: string, options: JobQueueOptions = {}): Promise<JobQueue> {
    const u = new URL(databaseUrl);
    const schema = options.schema ?? `${u.searchParams.get("table_prefix") ?? "gitops_health_"}jobs`;
    if (!/^[a-z_][a-z0-9_]{0,50}$/.test(schema)) throw new UserError(`invalid job schema name "${schema}"`);
    u.searchParams.delete("table_prefix");
    const PgBoss = (await import("pg-boss")).default;
    const boss = new PgBoss({
      connectionString: u.toString(),
      schema,
      max: 4,
      supervise: true,
      schedule: false,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 60,
    });
    // Errors of the background loops (a connection dropped): the next call surfaces them.
    boss.on("error", () => undefined);
    try {
      await boss.start();
      for (const kind of JOB_KINDS) {
        if (!(await boss.getQueue(queueName(kind))))
          await boss.createQueue(queueName(kind), {
            name: queueName(kind),
            retryLimit: options.retryLimit ?? 3,
            retryDelay: 0,
            expireInSeconds: options.expireInSeconds ?? 900,
          });
      }
    } catch (err) {
      await boss.stop({ graceful: false, wait: false }).catch(() => undefined);
      throw new UserError(`cannot open the job queue: ${(err as Error).message.split("\n")[0]}`);
    }
    return new JobQueue(boss, options);
  }

  async enqueue(kind: JobKind, data: unknown, caller?: string): Promise<string> {
    const parsed = JobData[kind].parse(data);
    const id = await this.boss.send(
      queueName(kind),
      { ...parsed, caller: caller ?? null },
      {
        retryLimit: this.options.retryLimit ?? 3,
        retryDelay: 0,
        expireInSeconds: this.options.expireInSeconds ?? 900,
      },
    );
    if (!id) throw new Error("the queue did not accept the job");
    return `${kind}:${id}`;
  }

  /** A job by the ID `enqueue` returned (`<kind>:<uuid>`), or undefined. */
  async get(jobId: string): Promise<JobStatus | undefined> {
    const m = /^([a-z.]+):([0-9a-f-]{36})$/.exec(jobId);
    if (!m || !(JOB_KINDS as readonly string[]).includes(m[1]!)) return undefined;
    const kind = m[1] as JobKind;
    const j = await this.boss.getJobById<Record<string, unknown>>(queueName(kind), m[2]!, { includeArchive: true });
    if (!j) return undefined;
    const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);
    return {
      id: jobId,
      kind,
      state: j.state,
      retryCount: j.retryCount,
      createdOn: iso(j.createdOn)!,
      startedOn: iso(j.startedOn),
      completedOn: iso(j.completedOn),
      output: j.output ?? null,
    };
  }

  /** Process jobs of every kind with `handlers`, `concurrency` at a time per kind. */
  async work(
    handlers: Partial<Record<JobKind, JobHandler>>,
    o: { concurrency?: number; pollingIntervalSeconds?: number } = {},
  ): Promise<void> {
    for (const kind of JOB_KINDS) {
      const handler = handlers[kind];
      if (!handler) continue;
      for (let i = 0; i < (o.concurrency ?? 1); i++) {
        await this.boss.work<Record<string, unknown>>(
          queueName(kind),
          { batchSize: 1, pollingIntervalSeconds: o.pollingIntervalSeconds ?? 2, includeMetadata: true },
          async ([job]) => {
            if (!job) return undefined;
            // The returned object is stored as the job's output; a throw fails the attempt (retried up to retryLimit).
            return handler(job.data, { id: `${kind}:${job.id}`, kind, attempt: job.retryCount + 1 });
          },
        );
      }
    }
  }

  async ping(): Promise<void> {
    await this.boss.getQueue(queueName(JOB_KINDS[0]));
  }

  /** Stop fetching; with `graceful`, wait for the jobs in hand to finish. */
  async close(graceful = true): Promise<void> {
    await this.boss.stop({ graceful, wait: true, timeout: 30_000 });
  }
}
