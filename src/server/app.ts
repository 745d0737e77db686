/**
 * The HTTP adapter: Fastify routes over the same domain functions the CLI calls (scanText and scanTexts,
 * sanitize, decidePolicy, the risk model, AuditLedger). Request and response schemas are zod;
 * the same schemas validate requests and generate /openapi.json (OpenAPI 3.1). Every client
 * error is an RFC 9457 problem+json 4xx; logs carry the route template and status, never a body,
 * a query string or an error message that could quote one.
 */
import canonicalize from "canonicalize";
import { createHmac, randomBytes } from "node:crypto";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { z } from "zod";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { AuditLedger } from "../audit/ledger.js";
import { parseCheckpoint } from "../audit/note.js";
import { isReservedType } from "../audit/reserved.js";
import { UserError } from "../core/errors.js";
import type { NoteSigner } from "../core/note-key.js";
import { packageVersion } from "../core/paths.js";
import { scanTexts } from "../phi/index.js";
import { sanitize } from "../phi/sanitize.js";
import type { Finding } from "../phi/types.js";
import { decidePolicy, PolicyInputDocument } from "../policy/decision.js";
import { BUILTIN_PACKS } from "../policy/packs.js";
import { Authenticator, type AuthConfig, type Principal } from "./auth.js";
import { GroupCommit } from "./group-commit.js";
import { compiledSerializerCompiler } from "./serializer.js";
import { parseTilePath, TileView } from "./tiles.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { scoreDiff } from "./risk.js";
import type { Scope, TokenStore } from "./tokens.js";
import type { RunsDeps } from "./runs.js";
import type { JobQueue } from "./jobs.js";
import type { RepoStore } from "./repos.js";
import type { Telemetry } from "./telemetry.js";
import type { WebhookDeps } from "./webhooks.js";
import { DEFAULT_CONFIG } from "../config/defaults.js";
import { HttpProblem } from "./problem.js";
import { CLASSIFICATIONS } from "../core/vocabulary.js";

// Routes in other files import HttpProblem from ./problem.js (importing app.ts back is a cycle).
export { HttpProblem };

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
    /** a warm-up request (buildApp's warmUp): nothing appended, not counted in /metrics */
    warmUp: boolean;
  }
  interface FastifyContextConfig {
    /** "public": no credential; "any": any authenticated caller; else the scope required */
    access?: "public" | "any" | Scope;
    /** this route's deadline in ms, instead of the service's requestTimeoutMs (the proxy's routes: a model call's) */
    timeoutMs?: number;
  }
}

export interface AppDeps {
  ledger: AuditLedger;
  tokens: TokenStore;
  auth?: Partial<AuthConfig>;
  /** signs /v1/ledger/checkpoint; without it that route answers 503 */
  signer?: NoteSigner;
  /** key of the HMAC digest recorded for each decision's input */
  digestKey: string;
  /** key for sanitize modes hash and synthetic when the request gives none */
  sanitizeKey?: string;
  /** pino destination (default stdout); false: no logs */
  logStream?: NodeJS.WritableStream | false;
  logLevel?: string;
  bodyLimit?: number;
  /** per caller (token or OIDC subject; IP when unauthenticated) */
  rateLimit?: { max: number; timeWindowMs: number };
  requestTimeoutMs?: number;
  /** extra readiness problem (e.g. "schema not migrated"), or undefined when ready */
  readiness?: () => Promise<string | undefined>;
  /** configuration and trust list for /v1/runs (default: the built-in configuration, no trusted keys: nothing verifies) */
  runs?: RunsDeps;
  /** registered repositories for /v1/repos (default: in memory) */
  repos?: RepoStore;
  /** the job queue for /v1/jobs (PostgreSQL only; absent: 503) */
  jobs?: JobQueue;
  /** OpenTelemetry (telemetry.ts), when an OTLP endpoint is configured */
  telemetry?: Telemetry;
  /** forge webhook secrets for /v1/webhooks/{github,gitlab}; records are signed with `webhooks.signer`, else `signer` */
  webhooks?: WebhookDeps;
  /** the LLM safety proxy (/v1/chat/completions, /v1/embeddings, /v1/models, /v1/messages); off when absent */
  proxy?: import("./proxy.js").ProxyDeps;
  /** the built dashboard (default: the package's ui/dist) */
  uiDir?: string;
  /** delay before the dashboard's first full verification of the ledger (default 30 s) */
  dashboardVerifyDelayMs?: number;
  /** the ledger as the dashboard's verification worker reopens it (directory or postgres:// URL; default: a directory ledger's location) */
  ledgerSpec?: string;
  /** trusted producers of pipeline records: the dashboard's changes view shows risk only from their signed records (default: none) */
  producers?: import("../evidence/checks.js").ProducerTrust;
  /** the scan engine behind /v1/scan (default: scanTexts); bench/server-floor.ts stubs it to measure the HTTP layer alone */
  scanTexts?: typeof scanTexts;
  /**
   * Decisions run through POST /v1/decisions/{pack} in-process (`inject`) before buildApp returns, so
   * before the service listens and /ready can answer: compiles every pack's CEL programs, loads the
   * entry screen's lexicon and lets V8 optimise the route's code (default 0; serve passes its own).
   * Nothing of them is appended (AuditLedger.dryRun) or counted in /metrics.
   */
  warmUp?: number;
}

/** Inputs the warm-up cycles through: passing and failing, one commit and several, defaults. */
export const WARM_UP_INPUTS: Record<string, unknown>[] = [
  {
    commit: { message: "feat(api): add endpoint\n\nApproved-by: Ann <ann@example.com>", signature: "G" },
    checks: { passed: ["tests", "phi-scan"] },
  },
  {},
  { commit: { message: "fixed stuff", files: ["src/a.ts"] }, checks: { missing: ["tests"] } },
  {
    commits: [
      { message: "fix(db): close the pool on shutdown", signature: "G", files: [{ path: "src/db.ts", additions: 4 }] },
      { message: "chore: bump deps", findings: [{ category: "ssn", severity: "high" }] },
    ],
    ledger: { configured: true },
    range: { from: null, to: "HEAD", complete: true },
  },
];

const PROBLEM = "application/problem+json";

/** Request logging in one line, when the request completes (route template, caller, status, time). */
class OneLineRequestLog extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error)
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, "request errored");
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, "request completed");
  }
}

function sendProblem(
  reply: FastifyReply,
  status: number,
  title: string,
  detail: string | undefined,
  extra: Record<string, unknown> = {},
): FastifyReply {
  return reply
    .code(status)
    .type(PROBLEM)
    .send(
      JSON.stringify({
        type: "about:blank",
        title,
        status,
        ...(detail ? { detail } : {}),
        instance: reply.request.routeOptions.url ?? undefined,
        ...extra,
      }),
    );
}

// ---------------------------------------------------------------- schemas

const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
  })
  .meta({ id: "Problem" });
const problems = { 400: Problem, 401: Problem, 403: Problem, 413: Problem, 429: Problem };

const FindingOut = z.object({
  ruleId: z.string(),
  category: z.string(),
  hipaaIdentifier: z.number().int().optional(),
  severity: z.enum(["low", "medium", "high"]),
  confidence: z.number(),
  line: z.number().int(),
  column: z.number().int(),
  start: z.number().int().describe("UTF-16 offset, inclusive"),
  end: z.number().int().describe("UTF-16 offset, exclusive"),
  preview: z.string().describe("masked value, never the raw one"),
  synthetic: z.boolean().optional(),
});

const ScanPath = z
  .string()
  .max(4_096)
  .describe("the file's path (as `scan` shows it): picks the profile and structured formats; never logged or recorded");

const ScanBody = z
  .object({
    text: z.string().optional(),
    path: ScanPath.optional(),
    records: z
      .array(z.object({ id: z.string().max(200), text: z.string(), path: ScanPath.optional() }).strict())
      .max(1000)
      .optional(),
    profile: z
      .enum(["code", "prose"])
      .optional()
      .describe("default: from the path when one is given (as `scan` picks it for a file), else prose"),
    kinds: z
      .array(z.enum(["phi", "secret"]))
      .min(1)
      .optional(),
  })
  .strict()
  .refine((b) => (b.text === undefined) !== (b.records === undefined), {
    message: "give exactly one of text or records",
  });

const ScanResult = z.object({ id: z.string().optional(), findings: z.array(FindingOut) });

const SanitizeBody = z
  .object({
    text: z.string(),
    mode: z.enum(["redact", "mask", "hash", "synthetic"]).default("redact"),
    key: z.string().min(16).optional().describe("pseudonym key for hash and synthetic (default: the server's)"),
    documentId: z.string().max(200).optional(),
    path: ScanPath.optional(),
  })
  .strict();

const DecisionBody = z
  .object({
    input: PolicyInputDocument,
    failOn: z.enum(["low", "medium", "high"]).default("high"),
  })
  .strict();

const ViolationOut = z.object({
  rule: z.string(),
  severity: z.enum(["low", "medium", "high"]),
  commit: z.string().optional(),
  message: z.string(),
  controls: z.array(z.string()),
  file: z.string().optional(),
});
const ControlOut = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(["met", "failed", "not evidenced"]),
  rules: z.array(z.string()),
  failedCommits: z.array(z.string()),
});

const RiskBody = z
  .object({
    diff: z.string().describe("unified diff (git diff output)"),
    author: z.string().max(200).optional(),
    message: z.string().max(10_000).optional(),
    time: z.number().int().optional().describe("unix seconds"),
    classification: z.enum(CLASSIFICATIONS).default("personal"),
  })
  .strict();

const EntryIn = z
  .object({
    type: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9][\w.:-]*$/),
    subject: z.string().max(500).optional(),
    payload: z.unknown().optional(),
  })
  .strict();

const EntryOut = z.object({
  seq: z.number().int(),
  time: z.string(),
  type: z.string(),
  actor: z.string(),
  subject: z.string().optional(),
  payload: z.unknown(),
});
const Seq = z.coerce.number().int().min(0);

// JSON text can carry lone surrogates ("\ud800"), which canonical JSON (the ledger's entries, the decision
// input digest) refuses: the request is answered 400, never 500.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function assertWellFormed(v: unknown): void {
  const ok = (x: unknown): boolean => {
    if (typeof x === "string") return !LONE_SURROGATE.test(x);
    if (Array.isArray(x)) return x.every(ok);
    if (x && typeof x === "object") return Object.entries(x).every(([k, y]) => ok(k) && ok(y));
    return true;
  };
  if (!ok(v))
    throw new HttpProblem(400, "Bad Request", "a string in the body is not well-formed Unicode (a lone surrogate)");
}

/** Entry types only the service writes; HTTP callers may not append them. */
const SERVICE_TYPES = /^decision(\.|$)/i;

// ---------------------------------------------------------------- app

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const authConfig: AuthConfig = {
    oidc: deps.auth?.oidc ?? [],
    metricsPublic: deps.auth?.metricsPublic ?? false,
    gatePublic: deps.auth?.gatePublic ?? false,
  };
  const authenticator = new Authenticator(deps.tokens, authConfig);
  const runsDeps: RunsDeps = deps.runs ?? { config: DEFAULT_CONFIG, ctx: { noteApprovers: [] } };
  const { runRoutes, pendingApprovalsCounter } = await import("./runs.js");
  const metrics: Metrics = await createMetrics(
    () => deps.ledger.size(),
    pendingApprovalsCounter(deps.ledger, runsDeps),
    deps.ledger,
  );
  const app = Fastify({
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    // No handlerTimeout here: see the sweep below (a route sets its own deadline with config.timeoutMs).
    requestTimeout: (deps.requestTimeoutMs ?? 30_000) + 5_000,
    return503OnClosing: true,
    // One line per request instead of Fastify's two; no logger at all when silent.
    logController: new OneLineRequestLog(),
    logger:
      deps.logStream === false || deps.logLevel === "silent"
        ? false
        : {
            level: deps.logLevel ?? "info",
            stream: deps.logStream ?? process.stdout,
            // Route templates only: a URL's path and query can carry identifiers.
            serializers: {
              req: (r: FastifyRequest) => ({
                method: r.method,
                route: r.routeOptions?.url ?? "(no route)",
                caller: r.principal?.id,
              }),
              res: (r: { statusCode: number }) => ({ statusCode: r.statusCode }),
              // Error messages can quote input (JSON.parse does): type and code only.
              err: (e: Error & { code?: string; statusCode?: number }) => ({
                type: e.name,
                message: e.code ?? e.name,
                stack: "",
                code: e.code,
                statusCode: e.statusCode,
              }),
            },
          },
  }).withTypeProvider<ZodTypeProvider>();
  // Spans for every route: registered before any of them.
  if (deps.telemetry) await app.register(deps.telemetry.plugin());
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(compiledSerializerCompiler);
  app.decorateRequest("principal", undefined);
  app.decorateRequest("warmUp", false);
  /** The warm-up requests' credential: set only while buildApp runs them (in-process, before listening). */
  let warmUpKey: string | undefined;

  const swagger = (await import("@fastify/swagger")).default;
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "gitops-health",
        version: packageVersion(),
        description: "PHI/secret scanning, policy decisions, risk scoring and the audit ledger over HTTP",
      },
      components: {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            description: "an API token (gitops-health token create) or an OIDC JWT from a trusted issuer",
          },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  // JSON only: a text/plain body is 415, not a string run through the schema.
  app.removeContentTypeParser("text/plain");

  // Request timeouts. Fastify's handlerTimeout creates an AbortController per request and aborts it
  // when Node closes the request after reading its body (a DOMException with a stack trace per
  // request), which also clears its timer: POST handlers were never timed out. Instead, deadlines
  // in a map swept a few times per timeout (config.timeoutMs: a route's own deadline); routes with their own
  // handlerTimeout keep Fastify's.
  const timeoutMs = deps.requestTimeoutMs ?? 30_000;
  const deadlines = new Map<FastifyReply, number>();
  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (const [reply, at] of deadlines) {
        if (reply.sent || reply.raw.headersSent || reply.raw.destroyed) deadlines.delete(reply);
        else if (at <= now) {
          deadlines.delete(reply);
          sendProblem(reply, 503, "Service Unavailable", "the request took too long");
        }
      }
    },
    Math.max(10, Math.min(1_000, timeoutMs / 4)),
  );
  sweep.unref();
  app.addHook("onClose", (_app, done) => {
    clearInterval(sweep);
    done();
  });
  app.addHook("onRequest", (req, reply, done) => {
    if (!(req.routeOptions.handlerTimeout > 0))
      deadlines.set(reply, performance.now() + (req.routeOptions.config?.timeoutMs ?? timeoutMs));
    done();
  });

  // Authentication first (onRequest), so rate limits can key on the caller.
  app.addHook("onRequest", async (req, reply) => {
    const access = req.routeOptions.config?.access;
    if (access === "public" || !req.routeOptions.url) return;
    if (access === undefined && req.routeOptions.url === "/metrics") return;
    if (warmUpKey !== undefined && req.headers["x-gitops-health-warm-up"] === warmUpKey) {
      req.warmUp = true;
      req.principal = { id: "warm-up", kind: "token", scopes: ["decide"] };
      return;
    }
    req.principal = await authenticator.authenticate(req.headers.authorization);
    if (!req.principal) {
      reply.header("www-authenticate", 'Bearer realm="gitops-health"');
      return sendProblem(
        reply,
        401,
        "Unauthorized",
        "a valid API token or OIDC token is required (Authorization: Bearer ...)",
      );
    }
    if (
      access &&
      access !== "any" &&
      !req.principal.scopes.includes(access) &&
      !req.principal.scopes.includes("admin")
    ) {
      return sendProblem(reply, 403, "Forbidden", `this call needs scope ${access}`);
    }
    return undefined;
  });

  if (deps.rateLimit) {
    const rateLimit = (await import("@fastify/rate-limit")).default;
    await app.register(rateLimit, {
      global: true,
      hook: "preHandler",
      max: deps.rateLimit.max,
      timeWindow: deps.rateLimit.timeWindowMs,
      keyGenerator: (req) => req.principal?.id ?? `ip:${req.ip}`,
      // Public operational routes only: API routes (/v1/...) are limited even when public.
      // (and the warm-up's in-process requests, which would use up its own limit)
      allowList: (req) =>
        req.warmUp || (req.routeOptions.config?.access === "public" && !req.routeOptions.url?.startsWith("/v1/")),
      errorResponseBuilder: (_req, ctx) =>
        Object.assign(new Error(`rate limit: ${ctx.max} requests per ${ctx.after}`), { statusCode: ctx.statusCode }),
    });
  }

  app.addHook("onResponse", (req, reply, done) => {
    deadlines.delete(reply);
    if (!req.warmUp)
      metrics.requests.observe(
        { method: req.method, route: req.routeOptions.url ?? "(no route)", status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    done();
  });

  app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, "Not Found", `no route ${req.method} for this path`));

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number; validation?: unknown }, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = err.validation.map((v) => ({ path: v.instancePath, message: v.message ?? "invalid" }));
      return sendProblem(
        reply,
        400,
        "Bad Request",
        `the request does not match the schema (${err.validationContext ?? "body"})`,
        { errors },
      );
    }
    if (err instanceof HttpProblem) return sendProblem(reply, err.status, err.title, err.message, err.extra);
    if (err instanceof UserError) return sendProblem(reply, 400, "Bad Request", err.message);
    switch (err.code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return sendProblem(reply, 413, "Content Too Large", `the body exceeds ${app.initialConfig.bodyLimit} bytes`);
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return sendProblem(reply, 415, "Unsupported Media Type", "send application/json");
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
        return sendProblem(reply, 400, "Bad Request", "the JSON body is empty");
      case "FST_ERR_CTP_INVALID_JSON_BODY":
        return sendProblem(reply, 400, "Bad Request", "the body is not valid JSON");
      case "FST_ERR_HANDLER_TIMEOUT":
        return sendProblem(reply, 503, "Service Unavailable", "the request took too long");
    }
    const status = err.statusCode ?? 500;
    // JSON.parse messages quote the body: never pass them on.
    if (err instanceof SyntaxError) return sendProblem(reply, 400, "Bad Request", "the body is not valid JSON");
    if (status === 429) return sendProblem(reply, 429, "Too Many Requests", err.message);
    // the ledger failed closed (LedgerUnavailableError): nothing is acknowledged; /ready says why
    if (status === 503) return sendProblem(reply, 503, "Service Unavailable", "the ledger refuses appends");
    if (status >= 400 && status < 500)
      return sendProblem(reply, status, "Bad Request", err.code?.startsWith("FST_") ? err.message : undefined);
    req.log.error({ err }, "request failed");
    return sendProblem(reply, 500, "Internal Server Error", undefined);
  });

  // ------------------------------------------------------------ operations

  // The ledger's acknowledgement level in the start log (and /ready, /metrics); a failed background sync logged once.
  app.log.info(
    { ledgerDurability: deps.ledger.durability.level, ledgerSyncIntervalMs: deps.ledger.durability.syncIntervalMs },
    "ledger durability",
  );
  deps.ledger.onFailure((message) =>
    app.log.fatal({ ledgerDurability: deps.ledger.durability.level }, `ledger fails closed: ${message}`),
  );

  app.get("/health", { config: { access: "public" }, schema: { hide: true } }, async () => ({ status: "ok" }));

  app.get("/ready", { config: { access: "public" }, schema: { hide: true } }, async (_req, reply) => {
    const reasons: string[] = [];
    await deps.ledger
      .size()
      .catch((err: Error) => reasons.push(`ledger store unreachable: ${err.message.split("\n")[0]}`));
    await deps.tokens
      .ping()
      .catch((err: Error) => reasons.push(`token store unreachable: ${err.message.split("\n")[0]}`));
    const failed = deps.ledger.failure();
    if (failed) reasons.push(`ledger fails closed: ${failed}`);
    const extra = await (deps.readiness?.() ?? Promise.resolve(undefined)).catch((err: Error) => err.message);
    if (extra) reasons.push(extra);
    if (reasons.length) return sendProblem(reply, 503, "Service Unavailable", reasons.join("; "));
    return {
      status: "ready",
      signingKey: deps.signer ? deps.signer.name : null,
      ledgerDurability: deps.ledger.durability.level,
      ledgerSyncIntervalMs: deps.ledger.durability.syncIntervalMs,
    };
  });

  app.get(
    "/metrics",
    { config: { access: authConfig.metricsPublic ? "public" : "any" }, schema: { hide: true } },
    async (_req, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );

  app.get("/openapi.json", { config: { access: "public" }, schema: { hide: true } }, async () => app.swagger());

  app.get("/docs", { config: { access: "public" }, schema: { hide: true } }, async (_req, reply) => {
    reply.type("text/html; charset=utf-8");
    return docsPage(app.swagger() as OpenApiDoc);
  });

  // ------------------------------------------------------------ engines

  const scanEngine = deps.scanTexts ?? scanTexts;
  const publicFinding = (f: Finding) => ({
    ruleId: f.ruleId,
    category: f.category,
    ...(f.hipaaIdentifier !== undefined ? { hipaaIdentifier: f.hipaaIdentifier } : {}),
    severity: f.severity,
    confidence: f.confidence,
    line: f.line,
    column: f.column,
    start: f.start,
    end: f.end,
    preview: f.preview,
    ...(f.synthetic ? { synthetic: true } : {}),
  });

  app.post(
    "/v1/scan",
    {
      config: { access: "scan" },
      schema: {
        summary: "Find PHI/PII and secrets in a text or a batch of records",
        description: "Findings carry offsets and a masked preview, never the matched value.",
        body: ScanBody,
        response: { 200: z.object({ results: z.array(ScanResult), findings: z.number().int() }), ...problems },
      },
    },
    async (req) => {
      const { text, path, records, profile, kinds } = req.body;
      const items: { id?: string; text: string; path?: string }[] = records ?? [{ text: text!, path }];
      let total = 0;
      // A text without a path is prose unless the caller says otherwise (profileFor(undefined)).
      const found = scanEngine(
        items.map((r) => r.text),
        { ...(profile ? { profile } : {}), ...(kinds ? { kinds } : {}) },
        items.map((r) => r.path),
      );
      // Counted per class, then one increment per class (a labelled increment hashes its labels).
      const byCategory = new Map<string, number>();
      const results = items.map((r, k) => {
        const findings = found[k]!;
        total += findings.length;
        for (const f of findings) byCategory.set(f.category, (byCategory.get(f.category) ?? 0) + 1);
        return { ...(r.id !== undefined ? { id: r.id } : {}), findings: findings.map(publicFinding) };
      });
      for (const [category, n] of byCategory) metrics.findings.inc({ category }, n);
      return { results, findings: total };
    },
  );

  app.post(
    "/v1/sanitize",
    {
      config: { access: "scan" },
      schema: {
        summary: "Rewrite PHI in a text (redact, mask, keyed hash pseudonyms or synthetic values)",
        body: SanitizeBody,
        response: {
          200: z.object({
            text: z.string(),
            replacements: z.array(
              z.object({
                category: z.string(),
                line: z.number().int(),
                column: z.number().int(),
                start: z.number().int(),
                end: z.number().int(),
                before: z.string().describe("masked original"),
                after: z.string().describe("the replacement written into text"),
                reserved: z
                  .boolean()
                  .optional()
                  .describe("synthetic mode: the replacement is from a reserved range (safe to show)"),
              }),
            ),
          }),
          ...problems,
        },
      },
    },
    async (req) => {
      const b = req.body;
      const r = sanitize(b.text, {
        mode: b.mode,
        key: b.key ?? deps.sanitizeKey,
        documentId: b.documentId,
        ...(b.path !== undefined ? { path: b.path } : {}),
      });
      return {
        text: r.text,
        replacements: r.replacements.map((x) => ({
          category: x.finding.category,
          line: x.finding.line,
          column: x.finding.column,
          start: x.finding.start,
          end: x.finding.end,
          before: x.before,
          after: x.after,
          ...(x.reserved ? { reserved: true } : {}),
        })),
      };
    },
  );

  const group = new GroupCommit(deps.ledger);
  // A client that disconnects does not stop its handler: close() waits for appends still being written.
  app.addHook("onClose", async () => group.drain());
  const callerOf = (p: Principal) => ({ id: p.id, kind: p.kind, scopes: p.scopes });

  app.post(
    "/v1/decisions/:pack",
    {
      config: { access: "decide" },
      schema: {
        summary: "Evaluate a policy pack on an input document (OPA data-API shape)",
        description:
          "The input is the policy input model (as in `policy test` cases); partial inputs are completed with documented defaults. Each decision is recorded in the ledger with an HMAC digest of the input, never the input.",
        params: z.object({ pack: z.enum(BUILTIN_PACKS) }),
        body: DecisionBody,
        response: {
          200: z.object({
            decision_id: z.string(),
            result: z.object({ allow: z.boolean(), decision: z.enum(["pass", "fail"]) }),
            violations: z.array(ViolationOut),
            controls: z.array(ControlOut),
            ledger: z.object({ seq: z.number().int(), leafHash: z.string() }),
          }),
          ...problems,
        },
      },
    },
    async (req) => {
      assertWellFormed(req.body.input);
      const d = await decidePolicy(req.params.pack, req.body.input, req.body.failOn);
      if (!req.warmUp) metrics.decisions.inc({ pack: d.pack, outcome: d.decision });
      const inputDigest = createHmac("sha256", deps.digestKey)
        .update(canonicalize(req.body.input) ?? "")
        .digest("hex");
      const caller = callerOf(req.principal!);
      const record = {
        type: "decision",
        actor: caller.id,
        subject: `pack:${d.pack}`,
        payload: {
          decision: d.decision,
          failOn: req.body.failOn,
          inputDigest: `hmac-sha256:${inputDigest}`,
          violations: d.violations.map((v) => ({ rule: v.rule, severity: v.severity, controls: v.controls })),
          caller,
        },
      };
      const entry = req.warmUp ? (await deps.ledger.dryRun([record]))[0]! : await group.append(record);
      const decisionId = `${entry.seq}-${entry.leafHash.slice(0, 16)}`;
      return {
        decision_id: decisionId,
        result: { allow: d.decision === "pass", decision: d.decision },
        violations: d.violations,
        controls: d.controls,
        ledger: entry,
      };
    },
  );

  app.post(
    "/v1/risk/score",
    {
      config: { access: "decide" },
      schema: {
        summary: "Score a change given as a unified diff plus metadata",
        body: RiskBody,
        response: {
          200: z.object({
            score: z.number().int(),
            level: z.enum(["LOW", "MEDIUM", "HIGH", "CRITICAL"]),
            strategy: z.enum(["standard", "canary", "blue-green"]),
            approvals: z.number().int(),
            files: z.number().int(),
            factors: z.array(z.object({ name: z.string(), value: z.number(), contribution: z.number() })),
            model: z.string(),
            warnings: z.array(z.string()),
          }),
          ...problems,
        },
      },
    },
    async (req) => scoreDiff(req.body),
  );

  // ------------------------------------------------------------ ledger

  /** The signed checkpoint of the current tree head: the stored one when the log has not grown, else a new one. */
  const currentCheckpoint = async (): Promise<{ size: number; rootHash: string; note: string }> => {
    if (!deps.signer)
      throw new HttpProblem(503, "Service Unavailable", "no checkpoint signing key is loaded (serve --key-file)");
    const size = await deps.ledger.size();
    const latest = await deps.ledger.checkpointForSize(size);
    if (latest) return { size, rootHash: (await deps.ledger.rootHash(size)).toString("hex"), note: latest };
    const { checkpoint, note } = await deps.ledger.checkpoint(deps.signer);
    return { size: checkpoint.size, rootHash: checkpoint.rootHash.toString("hex"), note };
  };

  // C2SP tlog-tiles, read-only (authenticated like the other reads): /checkpoint and /tile/...
  const tiles = new TileView(deps.ledger);
  app.get("/checkpoint", { config: { access: "any" }, schema: { hide: true } }, async (_req, reply) => {
    const note = deps.signer ? (await currentCheckpoint()).note : await deps.ledger.latestCheckpoint();
    if (!note) throw new HttpProblem(404, "Not Found", "the ledger has no signed checkpoint yet");
    reply.type("text/plain; charset=utf-8").header("cache-control", "no-cache");
    return note;
  });
  app.get("/tile/*", { config: { access: "any" }, schema: { hide: true } }, async (req, reply) => {
    const t = parseTilePath((req.params as { "*": string })["*"]);
    if (!t)
      throw new HttpProblem(
        404,
        "Not Found",
        "not a tlog-tiles path: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]",
      );
    const note = await deps.ledger.latestCheckpoint();
    const size = note ? parseCheckpoint(note.slice(0, note.lastIndexOf("\n\n") + 1)).size : 0;
    const bytes = await tiles.tile(t, size);
    if (!bytes)
      throw new HttpProblem(404, "Not Found", `no such tile in the tree of the latest checkpoint (size ${size})`);
    reply
      .type("application/octet-stream")
      .header("cache-control", t.width === undefined ? "max-age=31536000, immutable" : "no-cache");
    return bytes;
  });

  app.post(
    "/v1/ledger/entries",
    {
      config: { access: "ledger:append" },
      schema: {
        summary: "Append an entry (the caller is recorded as its actor)",
        description:
          "Reserved types (check, run.*, approval, llm.call, decision ...) are refused: their producers write them. Payloads are screened for PHI and refused when they hold any.",
        body: EntryIn,
        response: { 201: z.object({ seq: z.number().int(), leafHash: z.string() }), ...problems },
      },
    },
    async (req, reply) => {
      const b = req.body;
      assertWellFormed(b);
      if (isReservedType(b.type) || SERVICE_TYPES.test(b.type))
        throw new HttpProblem(
          403,
          "Forbidden",
          `entry type "${b.type}" is reserved: only the subsystem that produces it writes it`,
        );
      const caller = callerOf(req.principal!);
      const r = await group.append({
        type: b.type,
        actor: caller.id,
        subject: b.subject,
        payload: { data: b.payload ?? null, caller },
      });
      reply.code(201);
      return r;
    },
  );

  app.get(
    "/v1/ledger/entries",
    {
      config: { access: "any" },
      schema: {
        summary: "List entries in sequence order",
        querystring: z
          .object({
            from: Seq.default(0),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            type: z.string().max(100).optional(),
            subject: z.string().max(500).optional(),
          })
          .strict(),
        response: {
          200: z.object({ entries: z.array(EntryOut), size: z.number().int(), next: z.number().int().nullable() }),
          ...problems,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const entries: z.infer<typeof EntryOut>[] = [];
      let next: number | null = null;
      for await (const e of deps.ledger.query({ type: q.type, subject: q.subject })) {
        if (e.seq < q.from) continue;
        if (entries.length === q.limit) {
          next = e.seq;
          break;
        }
        entries.push(e);
      }
      return { entries, size: await deps.ledger.size(), next };
    },
  );

  app.get(
    "/v1/ledger/checkpoint",
    {
      config: { access: "any" },
      schema: {
        summary: "The signed checkpoint (C2SP signed note) of the current tree head",
        response: {
          200: z.object({ size: z.number().int(), rootHash: z.string(), note: z.string() }),
          503: Problem,
          ...problems,
        },
      },
    },
    async () => currentCheckpoint(),
  );

  app.get(
    "/v1/ledger/proofs/inclusion",
    {
      config: { access: "any" },
      schema: {
        summary: "RFC 6962 inclusion proof of entry seq in the tree of the given size",
        querystring: z.object({ seq: Seq, size: z.coerce.number().int().min(1).optional() }).strict(),
        response: {
          200: z.object({
            index: z.number().int(),
            treeSize: z.number().int(),
            leafHash: z.string(),
            proof: z.array(z.string()),
            rootHash: z.string(),
          }),
          ...problems,
        },
      },
    },
    async (req) => deps.ledger.proveInclusion(req.query.seq, req.query.size),
  );

  app.get(
    "/v1/ledger/proofs/consistency",
    {
      config: { access: "any" },
      schema: {
        summary: "RFC 6962 consistency proof between two tree sizes",
        querystring: z
          .object({ old: z.coerce.number().int().min(1), new: z.coerce.number().int().min(1).optional() })
          .strict(),
        response: {
          200: z.object({
            oldSize: z.number().int(),
            newSize: z.number().int(),
            oldRoot: z.string(),
            newRoot: z.string(),
            proof: z.array(z.string()),
          }),
          ...problems,
        },
      },
    },
    async (req) => deps.ledger.proveConsistency(req.query.old, req.query.new),
  );

  // ------------------------------------------------------------ guarded runs and the approval gate

  await app.register(runRoutes, {
    ledger: deps.ledger,
    runs: runsDeps,
    problem: Problem,
    gatePublic: authConfig.gatePublic,
  });

  // ------------------------------------------------------------ registered repositories and long jobs

  const { repoRoutes, MemoryRepoStore } = await import("./repos.js");
  await app.register(repoRoutes, { repos: deps.repos ?? new MemoryRepoStore(), jobs: deps.jobs, problem: Problem });
  // ------------------------------------------------------------ forge webhooks (review evidence)
  const { webhookRoutes } = await import("./webhooks.js");
  const { noteSigner } = await import("../review/evidence.js");
  await app.register(webhookRoutes, {
    ledger: deps.ledger,
    webhooks: {
      ...deps.webhooks,
      signer: deps.webhooks?.signer ?? (deps.signer ? noteSigner(deps.signer) : undefined),
    },
  });
  // ------------------------------------------------------------ LLM safety proxy

  if (deps.proxy)
    await app.register((await import("./proxy.js")).proxyRoutes, {
      ...deps.proxy,
      ledger: deps.ledger,
      authenticate: (h) => authenticator.authenticate(h),
    });
  // ------------------------------------------------------------ the dashboard (static UI + /v1/dashboard/*)

  const { dashboardRoutes } = await import("./dashboard.js");
  // Review records count when the service signed them (webhooks) or a configured producer did.
  const { producerTrust } = await import("../evidence/checks.js");
  const { formatVerifierKey } = await import("../core/note-key.js");
  let producers: ReturnType<typeof producerTrust>;
  try {
    producers = producerTrust(runsDeps.config, process.cwd());
  } catch {
    // a malformed evidence.allowedProducers key: only the service's own records count here
    producers = { notes: [], namespace: runsDeps.config.evidence.namespace };
  }
  await app.register(dashboardRoutes, {
    ledger: deps.ledger,
    problem: Problem,
    reviews: {
      trust: {
        ...producers,
        notes: [
          ...producers.notes,
          ...(deps.signer ? [{ identity: deps.signer.name, vkey: formatVerifierKey(deps.signer) }] : []),
        ],
      },
      namespace: producers.namespace,
    },
    uiDir: deps.uiDir,
    verifyDelayMs: deps.dashboardVerifyDelayMs,
    ledgerSpec: deps.ledgerSpec,
    producers: deps.producers,
  });

  if (deps.warmUp && deps.warmUp > 0) {
    warmUpKey = randomBytes(32).toString("hex");
    const t0 = performance.now();
    let done = 0;
    try {
      for (let i = 0; i < deps.warmUp; i++, done++) {
        const input = WARM_UP_INPUTS[i % WARM_UP_INPUTS.length]!;
        const r = await app.inject({
          method: "POST",
          url: `/v1/decisions/${CLASSIFICATIONS[i % CLASSIFICATIONS.length]}`,
          headers: { "x-gitops-health-warm-up": warmUpKey },
          payload: { input, failOn: i % 8 === 7 ? "low" : "high" },
        });
        if (r.statusCode !== 200) break; // never keeps the service from starting
      }
    } finally {
      warmUpKey = undefined;
    }
    app.log.info({ warmUp: done, ms: Math.round(performance.now() - t0) }, "decision route warmed up");
  }

  return app;
}

// ---------------------------------------------------------------- docs page

interface OpenApiDoc {
  info: { title: string; version: string };
  paths?: Record<string, Record<string, { summary?: string; description?: string }>>;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A static page listing every documented operation; the full schema is /openapi.json. */
function docsPage(doc: OpenApiDoc): string {
  const rows = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
    Object.entries(ops).map(
      ([method, op]) =>
        `<tr><td><code>${esc(method.toUpperCase())}</code></td><td><code>${esc(path)}</code></td><td>${esc(op.summary ?? "")}<br><small>${esc(op.description ?? "")}</small></td></tr>`,
    ),
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(doc.info.title)} API</title><style>body{font-family:sans-serif;margin:2em}td{padding:.3em .8em;vertical-align:top;border-bottom:1px solid #ddd}</style></head><body><h1>${esc(doc.info.title)} ${esc(doc.info.version)}</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>.</p><table>${rows.join("")}</table></body></html>`;
}
