/**
 * The dashboard: its static files (built by `vite build` into ui/dist, served here, no CDN) and the
 * JSON it reads (`/v1/dashboard/*`, authenticated like every other API read). Thin routes over
 * src/metrics, which the evidence report uses too. The static files hold no data: the page asks for
 * an API token and sends it as a bearer token with each data request.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AuditLedger } from "../audit/ledger.js";
import { parseCheckpoint } from "../audit/note.js";
import { packagePath } from "../core/paths.js";
import { frameworksOf, DAY_MS, type MetricsRange } from "../metrics/index.js";
import { MetricsIndex } from "../metrics/incremental.js";
import type { LedgerEntry } from "../audit/types.js";
import type { TrustList } from "../core/signing.js";
import { pullReviewOfCommit, pullReviews, type PullReview } from "../review/approvals.js";
import { verifyReviewEntry } from "../review/evidence.js";
import type { PullRecord, PushRecord, ReviewRecord } from "../review/model.js";
import { HttpProblem } from "./problem.js";
import type { ProducerTrust } from "../evidence/checks.js";
import { verifyPipelineEntry } from "../pipeline/ledger.js";
import type { VerifyWorkerData, VerifyWorkerResult } from "./verify-worker.js";

export interface DashboardOptions {
  ledger: AuditLedger;
  /** the problem+json schema of app.ts, for the documented error responses */
  problem: z.ZodType;
  /**
   * whose review records (`review.*`: webhooks, `review import`) count for the changes view: the
   * service's own key and the configured producers; without it no change shows review data
   */
  reviews?: { trust: TrustList; namespace: string };
  /** built UI (default: the package's ui/dist) */
  uiDir?: string;
  /**
   * delay before the first full verification of the ledger (default 30 s: it takes about a second of
   * CPU per 100,000 entries, so not while the first pages load); then hourly
   */
  verifyDelayMs?: number;
  /**
   * the ledger as a worker thread reopens it (read-only) to verify it off the event loop: a directory
   * or the postgres:// URL with its credentials and table_prefix (default: the ledger's location when
   * it is a directory; a PostgreSQL ledger's location hides its password, so the service passes the URL)
   */
  ledgerSpec?: string;
  /**
   * who may produce pipeline records: the changes view shows a commit's risk only from records a
   * trusted producer signed (default: none trusted, so no risk is shown as evidence)
   */
  producers?: ProducerTrust;
}

/** Client routes of the single-page app: each serves index.html so a link to a view works. */
export const PAGES = ["overview", "delivery", "changes", "runs", "findings", "llm"] as const;

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

const IsoTime = z
  .string()
  .max(40)
  .refine((s) => Number.isFinite(Date.parse(s)), "not a date");
const Range = z
  .object({
    from: IsoTime.optional(),
    to: IsoTime.optional(),
    service: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/)
      .optional(),
    env: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/)
      .optional(),
    repo: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/)
      .optional(),
    classification: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,39}$/)
      .optional(),
    controls: z
      .string()
      .regex(/^[a-z0-9,]{1,40}$/)
      .optional(),
  })
  .strict();
type RangeQuery = z.infer<typeof Range>;

/**
 * The worker that verifies the ledger: dist/verify-worker.js beside the bundled chunks, else (running
 * from source, as the tests do) src/server/verify-worker.ts through tsx; undefined when neither exists.
 */
export function verifyWorkerEntry(): { url: URL; fromSource: boolean } | undefined {
  const built = new URL("./verify-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(built))) return { url: built, fromSource: false };
  const source = new URL("./verify-worker.ts", import.meta.url);
  if (existsSync(fileURLToPath(source))) return { url: source, fromSource: true };
  return undefined;
}

/** One full verification of the ledger at `spec` in a worker thread (read-only: `AuditLedger.verify`). */
export async function verifyInWorker(
  spec: string,
  entry = verifyWorkerEntry(),
  started?: (terminate: () => Promise<number>) => void,
): Promise<VerifyWorkerResult> {
  if (!entry) throw new Error("the verification worker is not built");
  const { Worker } = await import("node:worker_threads");
  const workerData: VerifyWorkerData = { spec };
  // from source: the worker registers tsx's loader first (devDependency; the published package runs dist)
  const w = entry.fromSource
    ? new Worker(
        `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(entry.url.href)}); })`,
        { eval: true, workerData },
      )
    : new Worker(entry.url, { workerData });
  started?.(() => w.terminate());
  return new Promise<VerifyWorkerResult>((resolve, reject) => {
    let result: VerifyWorkerResult | undefined;
    w.once("message", (r: VerifyWorkerResult) => (result = r));
    w.once("error", reject);
    w.once("exit", (code) =>
      result ? resolve(result) : reject(new Error(`the verification worker stopped (exit code ${code})`)),
    );
  });
}

/** The last full verification of the ledger by this service (`AuditLedger.verify`: it never writes). */
interface Verification {
  /** scheduled: not started yet (the first runs verifyDelayMs after start) */
  state: "scheduled" | "running" | "done";
  at: string | null;
  ok: boolean | null;
  size: number | null;
  problem: string | null;
  /** verified in a worker thread (off the event loop), not in the service's main thread */
  inWorker: boolean;
}

/**
 * Entries read once into a MetricsIndex (it keeps only what the views read): a grown ledger is read
 * from where the index ends, so a request after an append parses only the new entries.
 */
class EntryCache {
  readonly index: MetricsIndex;
  private loading: Promise<MetricsIndex> | undefined;
  /** review records that verify against the trust list, each verified once as it is read */
  private readonly records: { pulls: PullRecord[]; reviews: ReviewRecord[]; pushes: PushRecord[] } = {
    pulls: [],
    reviews: [],
    pushes: [],
  };
  private reviewed: { at: number; list: PullReview[] } | undefined;
  constructor(
    private readonly ledger: AuditLedger,
    producers: ProducerTrust | undefined,
    private readonly trust?: DashboardOptions["reviews"],
  ) {
    this.index = new MetricsIndex((e) => (producers ? verifyPipelineEntry(e, producers).ok : false));
  }
  async get(): Promise<MetricsIndex> {
    const size = await this.ledger.size();
    if (this.index.size >= size) return this.index;
    this.loading ??= (async () => {
      for await (const e of this.ledger.query({ from: this.index.size })) {
        this.index.add(e);
        if (this.trust && e.type.startsWith("review.")) this.addReview(e);
      }
      return this.index;
    })().finally(() => (this.loading = undefined));
    return this.loading;
  }
  private addReview(e: LedgerEntry): void {
    const v = verifyReviewEntry(e, this.trust!.trust, this.trust!.namespace);
    if ("reason" in v) return;
    if (v.kind === "pull") this.records.pulls.push(v.record as PullRecord);
    else if (v.kind === "review") this.records.reviews.push(v.record as ReviewRecord);
    else if (v.kind === "push") this.records.pushes.push(v.record as PushRecord);
  }
  /** pull requests with their approvers (src/review `pullReviews`, as the evidence report shows them) */
  pullReviews(): PullReview[] {
    const n = this.records.pulls.length + this.records.reviews.length + this.records.pushes.length;
    if (this.reviewed?.at !== n) this.reviewed = { at: n, list: pullReviews(this.records) };
    return this.reviewed.list;
  }
}

function rangeOf(q: RangeQuery, now = Date.now()): MetricsRange {
  const to = q.to ? Date.parse(q.to) : Math.ceil(now / DAY_MS) * DAY_MS;
  const from = q.from ? Date.parse(q.from) : to - 28 * DAY_MS;
  if (from >= to) throw new HttpProblem(400, "Bad Request", "from must be before to");
  if (to - from > 3660 * DAY_MS) throw new HttpProblem(400, "Bad Request", "the range is limited to ten years");
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    ...(q.service ? { service: q.service } : {}),
    ...(q.env ? { env: q.env } : {}),
    ...(q.repo ? { repo: q.repo } : {}),
    ...(q.classification ? { classification: q.classification } : {}),
  };
}

export const dashboardRoutes: FastifyPluginAsyncZod<DashboardOptions> = async (app, o) => {
  const cache = new EntryCache(o.ledger, o.producers, o.reviews);
  const uiDir = o.uiDir ?? packagePath("ui", "dist");
  const verification: Verification = {
    state: "scheduled",
    at: null,
    ok: null,
    size: null,
    problem: null,
    inWorker: false,
  };
  // In a worker thread when the ledger can be reopened there (a directory, or the URL the service
  // passes): re-hashing 100,000 entries takes about a second of CPU, during which the event loop
  // would answer nothing. In process only for a ledger the worker cannot reach.
  const spec = o.ledgerSpec ?? (/^postgres(ql)?:/.test(o.ledger.location) ? undefined : o.ledger.location);
  const entry = spec ? verifyWorkerEntry() : undefined;
  let closing = false;
  let terminate: (() => Promise<number>) | undefined;
  const verify = async () => {
    if (closing) return;
    verification.state = "running";
    try {
      if (spec && entry) {
        const { ok, size, problem, threadId } = await verifyInWorker(spec, entry, (t) => (terminate = t));
        Object.assign(verification, { ok, size, problem, inWorker: threadId !== 0 });
      } else {
        const r = await o.ledger.verify();
        Object.assign(verification, {
          ok: r.ok,
          size: r.size,
          problem: r.ok ? null : (r.problem ?? "failed"),
          inWorker: false,
        });
      }
    } catch (err) {
      if (closing) return;
      Object.assign(verification, { ok: false, size: null, problem: (err as Error).message, inWorker: false });
    } finally {
      terminate = undefined;
    }
    Object.assign(verification, { state: "done", at: new Date().toISOString() });
  };
  let timer: NodeJS.Timeout | undefined;
  // Read the ledger once at start-up (in the background), so the first page load finds it parsed; then
  // verify it in full (leaf hashes, sequence, times, stored checkpoints), and again every hour.
  app.addHook("onReady", async () => {
    void cache.get().catch(() => undefined);
    timer = setTimeout(() => {
      void verify();
      timer = setInterval(() => void verify(), 3_600_000).unref();
    }, o.verifyDelayMs ?? 30_000).unref();
  });
  app.addHook("onClose", async () => {
    closing = true;
    clearTimeout(timer);
    await terminate?.();
  });
  const any = { access: "any" as const };
  const responses = { 200: z.looseObject({}), 400: o.problem, 401: o.problem, 403: o.problem, 429: o.problem };

  app.get(
    "/v1/dashboard/overview",
    {
      config: any,
      schema: {
        summary: "Dashboard overview: compliance posture per control and the ledger's status",
        querystring: Range,
        response: responses,
      },
    },
    async (req) => {
      const r = rangeOf(req.query);
      let frameworks;
      try {
        frameworks = frameworksOf(req.query.controls?.split(",").filter(Boolean));
      } catch (err) {
        throw new HttpProblem(400, "Bad Request", (err as Error).message);
      }
      const index = await cache.get();
      const note = await o.ledger.latestCheckpoint();
      const cp = note ? parseCheckpoint(note.slice(0, note.lastIndexOf("\n\n") + 1)) : undefined;
      const posture = index.posture(r, frameworks);
      const count = (s: string) => posture.filter((p) => p.status === s).length;
      return {
        range: r,
        repositories: index.repositories(),
        ledger: {
          size: index.size,
          checkpoint: cp
            ? {
                size: cp.size,
                rootHash: cp.rootHash.toString("hex"),
                origin: cp.origin,
                time: index.checkpointTime(cp.size - 1),
              }
            : null,
          lastVerification: { ...verification },
        },
        compliance: {
          met: count("met"),
          failed: count("failed"),
          notEvidenced: count("not evidenced"),
          controls: posture,
          byScope: index.postureByScope(r, frameworks),
        },
      };
    },
  );

  app.get(
    "/v1/dashboard/delivery",
    {
      config: any,
      schema: {
        summary: "DORA metrics per service and environment, with weekly trends",
        querystring: Range,
        response: responses,
      },
    },
    async (req) => {
      const r = rangeOf(req.query);
      const { deployments, ...dora } = (await cache.get()).dora(r);
      return { range: r, ...dora, recent: deployments.slice(-50).reverse() };
    },
  );

  app.get(
    "/v1/dashboard/changes",
    {
      config: any,
      schema: {
        summary:
          "Recent changes: gate outcomes (compliance.check) per commit with risk likelihood, impact and strategy, and the pull request with its approvers and whether each approval was current",
        querystring: Range,
        response: responses,
      },
    },
    async (req) => {
      const r = rangeOf(req.query);
      const index = await cache.get();
      const pulls = cache.pullReviews();
      return {
        range: r,
        // per change, its pull request, approvers and whether each approval was current and counted
        changes: index.changes(r).map((c) => {
          const p = pullReviewOfCommit(pulls, c.commit);
          return {
            ...c,
            review: p
              ? {
                  forge: p.forge,
                  repo: p.repo,
                  number: p.number,
                  state: p.state,
                  author: p.author,
                  head: p.head,
                  mergeCommit: p.mergeCommit,
                  approvers: p.approvals.filter((a) => a.counted).map((a) => a.reviewer),
                  approvals: p.approvals,
                }
              : null,
          };
        }),
        deployPlans: index
          .deployPlans()
          .filter((p) => p.time >= r.from && p.time < r.to)
          .slice(-100)
          .reverse(),
      };
    },
  );

  app.get(
    "/v1/dashboard/runs",
    {
      config: any,
      schema: {
        summary: "Guarded runs: pending approvals with the plan digest and the command to sign, and who approved what",
        response: responses,
      },
    },
    async () => {
      const runs = (await cache.get()).runSummaries();
      return {
        runs: runs
          .slice(0, 200)
          .map((r) => ({ ...r, approveCommand: `gitops-health approve ${r.runId} --key <your key>` })),
      };
    },
  );

  app.get(
    "/v1/dashboard/findings",
    {
      config: any,
      schema: {
        summary:
          "PHI/secret finding counts by class per week (never values); repo/classification: records that carry them",
        querystring: Range,
        response: responses,
      },
    },
    async (req) => {
      const r = rangeOf(req.query);
      return { range: r, weeks: (await cache.get()).findings(r) };
    },
  );

  app.get(
    "/v1/dashboard/llm",
    {
      config: any,
      schema: {
        summary: "LLM calls through the gateway and the proxy: counts, refusals, by model; repo/classification filter",
        querystring: Range,
        response: responses,
      },
    },
    async (req) => {
      const r = rangeOf(req.query);
      return { range: r, ...(await cache.get()).llmMetrics(r) };
    },
  );

  // ---------------------------------------------------------------- static files (no data in them)
  const files = new Map<string, { type: string; body: Buffer }>();
  const load = (rel: string) => {
    const file = join(uiDir, rel);
    if (!existsSync(file)) return undefined;
    const hit = files.get(rel) ?? { type: TYPES[extname(rel)] ?? "application/octet-stream", body: readFileSync(file) };
    files.set(rel, hit);
    return hit;
  };
  const index = async (_req: unknown, reply: import("fastify").FastifyReply) => {
    const f = load("index.html");
    if (!f) throw new HttpProblem(404, "Not Found", "the dashboard is not built (npm run build)");
    reply
      .type(f.type)
      .header("cache-control", "no-cache")
      .header("content-security-policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
    return f.body;
  };
  const pub = { access: "public" as const };
  app.get("/", { config: pub, schema: { hide: true } }, index);
  for (const p of PAGES) app.get(`/${p}`, { config: pub, schema: { hide: true } }, index);
  app.get(
    "/assets/:name",
    { config: pub, schema: { hide: true, params: z.object({ name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/) }) } },
    async (req, reply) => {
      const f = req.params.name.includes("..") ? undefined : load(join("assets", req.params.name));
      if (!f) throw new HttpProblem(404, "Not Found", "no such asset");
      reply.type(f.type).header("cache-control", "max-age=31536000, immutable");
      return f.body;
    },
  );
};

/** Names of the built assets (for the bench's size measurement). */
export function builtAssets(uiDir = packagePath("ui", "dist")): string[] {
  const dir = join(uiDir, "assets");
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
