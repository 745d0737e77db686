import type { Command } from "commander";
import { readFileSync } from "node:fs";
// Static: yaml is bundled into dist/cli.js, where a dynamic import has no named exports.
import { parse as parseYaml } from "yaml";
import { UserError } from "../../core/errors.js";
import { intOption } from "../options.js";
import { readEnv } from "../../config/env.js";
import { ledgerDurabilityOptions, durabilityText, ledgerDurabilityFrom } from "../ledger-durability.js";
import { parseFormat, say, writeJson, writeOut } from "../output.js";

const int = intOption;

/** `serve`, `worker`, `token create|list|revoke`, `db migrate`: the HTTP service (src/server/), its job workers and its stores. */
export function register(program: Command): void {
  program
    .command("serve")
    .description(
      "run the HTTP service: scan, sanitize, decisions, risk and the ledger over HTTP (OpenAPI at /openapi.json)",
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port (0: any free port)", int("--port"), 8080)
    .option("--ledger <dir>", "embedded directory ledger (default: GITOPS_HEALTH_LEDGER or .gitops-health/ledger)")
    .option("--database-url <url>", "PostgreSQL for a shared ledger and tokens (default: GITOPS_HEALTH_DATABASE_URL)")
    .option("--migrate", "apply pending database migrations before serving")
    .addOption(ledgerDurabilityOptions()[0])
    .addOption(ledgerDurabilityOptions()[1])
    .option("--key-file <file>", "checkpoint signing key (default: .gitops-health/keys/ledger.key when present)")
    .option(
      "--auth-config <file>",
      "YAML/JSON: trusted OIDC issuers with audience and claim-to-scope rules; metricsPublic",
    )
    .option("--body-limit <bytes>", "largest request body", int("--body-limit"), 1024 * 1024)
    .option("--rate-limit <n>", "requests per minute per caller (0: off)", int("--rate-limit"), 600)
    .option("--request-timeout <ms>", "per-request handler timeout", int("--request-timeout"), 30_000)
    .option("--log-level <level>", "pino level: fatal, error, warn, info, debug, silent", "info")
    .option(
      "--allowed-signers <file>",
      "SSH allowed-signers file that run approvals are verified against (default: config allowedSignersFile)",
    )
    .option(
      "--job-timeout <seconds>",
      "a queued job still running after this long is taken as lost and retried (PostgreSQL only)",
      int("--job-timeout"),
      900,
    )
    .option(
      "--sandbox",
      "LLM proxy: answer from a deterministic local mock instead of the upstreams (also GITOPS_HEALTH_SANDBOX=1)",
    )
    .action(
      async (o: {
        host: string;
        port: number;
        ledger?: string;
        databaseUrl?: string;
        migrate?: boolean;
        ledgerDurability?: string;
        ledgerSyncInterval?: number;
        keyFile?: string;
        authConfig?: string;
        bodyLimit: number;
        rateLimit: number;
        requestTimeout: number;
        logLevel: string;
        allowedSigners?: string;
        jobTimeout: number;
        sandbox?: boolean;
      }) => {
        const { openServiceStores, databaseUrlFrom } = await import("../../server/stores.js");
        const { buildApp } = await import("../../server/app.js");
        const { AuthConfig } = await import("../../server/auth.js");
        const { defaultKeyFile, loadSigner } = await import("../../audit/keys.js");
        const { existsSync } = await import("node:fs");
        let auth;
        if (o.authConfig) {
          let raw: unknown;
          try {
            raw = parseYaml(readFileSync(o.authConfig, "utf8"));
          } catch (err) {
            throw new UserError(`cannot read --auth-config ${o.authConfig}: ${(err as Error).message.split("\n")[0]}`);
          }
          const r = AuthConfig.safeParse(raw ?? {});
          if (!r.success)
            throw new UserError(
              `--auth-config ${o.authConfig}: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
            );
          auth = r.data;
        }
        // Runs and the approval gate verify against the served repository's configuration and trust list.
        const { config } = await (
          await import("../../config/fast.js")
        ).loadConfigFast({ file: program.opts().config as string | undefined });
        const { verifyContext } = await import("../../guard/index.js");
        const runs = { config, ctx: verifyContext(config, process.cwd(), o.allowedSigners) };
        const keyFile = defaultKeyFile(process.cwd(), o.keyFile ?? readEnv().ledgerKey);
        const signer = o.keyFile || existsSync(keyFile) ? loadSigner(keyFile) : undefined;
        const { durability, syncIntervalMs } = ledgerDurabilityFrom(o, config);
        const stores = await openServiceStores({
          databaseUrl: databaseUrlFrom(o.databaseUrl),
          ledger: o.ledger,
          migrate: o.migrate,
          durability,
          syncIntervalMs,
        });
        for (const w of stores.warnings) say(`warning: ${w}`);
        stores.ledger.onFailure((m) =>
          say(`error: the ledger fails closed, appends are refused and /ready answers 503: ${m}`),
        );
        // Long jobs (history scans, model training) go to the PostgreSQL queue for `gitops-health worker`.
        let jobs: import("../../server/jobs.js").JobQueue | undefined;
        if (stores.databaseUrl) {
          const { JobQueue } = await import("../../server/jobs.js");
          jobs = await JobQueue.open(stores.databaseUrl, { expireInSeconds: Math.max(1, o.jobTimeout) }).catch(
            async (err: unknown) => {
              await stores.close();
              throw err;
            },
          );
        }
        const proxy = (await import("./proxy.js")).proxyDepsFrom(config, o);
        for (const w of proxy.warnings) say(`warning: ${w}`);
        const { randomBytes } = await import("node:crypto");
        // Traces only when an OTLP endpoint is configured; the SDK reads the other OTEL_* variables itself.
        const { startTelemetry } = await import("../../server/telemetry.js");
        const telemetry = await startTelemetry({
          endpoint:
            process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined,
          serviceName: process.env.OTEL_SERVICE_NAME || "gitops-health",
        });
        // Forge webhooks: secrets from the environment; records signed by the producer key (evidence.key) or the checkpoint key.
        const { producerKeyFile } = await import("../../evidence/checks.js");
        const { keyFileSigner } = await import("../../review/evidence.js");
        const producerKey = producerKeyFile(readEnv().evidenceKey, config, process.cwd());
        const webhooks = {
          githubSecret: process.env.GITOPS_HEALTH_GITHUB_WEBHOOK_SECRET || undefined,
          gitlabToken: process.env.GITOPS_HEALTH_GITLAB_WEBHOOK_TOKEN || undefined,
          ...(producerKey ? { signer: keyFileSigner(producerKey, config.evidence.namespace) } : {}),
        };
        const app = await buildApp({
          telemetry,
          ledger: stores.ledger,
          // the dashboard's hourly verification reopens the ledger in a worker thread
          ledgerSpec: stores.databaseUrl ?? stores.location,
          // the dashboard shows pipeline risk only from records these producers signed
          producers: (await import("../../evidence/checks.js")).producerTrust(config, process.cwd()),
          tokens: stores.tokens,
          auth,
          signer,
          digestKey: stores.digestKey ?? randomBytes(32).toString("hex"),
          sanitizeKey: process.env.GITOPS_HEALTH_SANITIZE_KEY,
          logLevel: o.logLevel,
          bodyLimit: o.bodyLimit,
          rateLimit: o.rateLimit > 0 ? { max: o.rateLimit, timeWindowMs: 60_000 } : undefined,
          requestTimeoutMs: o.requestTimeout,
          readiness: async () =>
            (await stores.readiness()) ??
            (jobs
              ? await jobs.ping().then(
                  () => undefined,
                  (err: Error) => `job queue unreachable: ${err.message.split("\n")[0]}`,
                )
              : undefined),
          runs,
          repos: stores.repos,
          jobs,
          webhooks,
          proxy: proxy.deps,
          // decisions run in-process before listening: compiled packs, a warm JIT. Off by default (it
          // adds 2-3 s of start-up); the container image turns it on (Dockerfile).
          warmUp: Number(process.env.GITOPS_HEALTH_WARM_UP ?? 0) || 0,
        });
        let closing = false;
        const shutdown = (signal: string) => {
          if (closing) return;
          closing = true;
          say(`${signal}: draining requests, then closing the ${stores.kind} store`);
          // app.close stops accepting connections and waits for in-flight requests.
          void app
            .close()
            .then(() => jobs?.close(false))
            .then(() => telemetry?.shutdown().catch(() => undefined))
            .then(() => stores.close())
            .then(
              () => process.exit(0),
              () => process.exit(1),
            );
        };
        process.on("SIGTERM", () => shutdown("SIGTERM"));
        process.on("SIGINT", () => shutdown("SIGINT"));
        const address = await app.listen({ host: o.host, port: o.port });
        say(
          `gitops-health serving on ${address} (${stores.kind} ledger ${stores.location}, durability ${durabilityText(stores.ledger.durability, stores.kind)}${signer ? `, checkpoints signed by ${signer.name}` : ", no checkpoint signing key"}${jobs ? ", job queue on" : ""}${telemetry ? ", traces exported over OTLP" : ""}); API docs at ${address}/docs`,
        );
      },
    );

  program
    .command("worker")
    .description(
      "process long jobs (repository history scans, risk model training) from the PostgreSQL queue; run as many as you like",
    )
    .option("--database-url <url>", "PostgreSQL (default: GITOPS_HEALTH_DATABASE_URL)")
    .option("--concurrency <n>", "jobs of each kind at a time in this process", int("--concurrency"), 1)
    .option("--poll-interval <seconds>", "how often an idle worker looks for jobs", int("--poll-interval"), 2)
    .option(
      "--maintenance-interval <seconds>",
      "how often this worker helps expire jobs of dead workers (throttled across instances)",
      int("--maintenance-interval"),
      60,
    )
    .action(
      async (o: { databaseUrl?: string; concurrency: number; pollInterval: number; maintenanceInterval: number }) => {
        const { databaseUrlFrom } = await import("../../server/stores.js");
        const url = databaseUrlFrom(o.databaseUrl);
        if (!url)
          throw new UserError(
            "worker needs --database-url or GITOPS_HEALTH_DATABASE_URL (the job queue lives in PostgreSQL)",
          );
        if (o.concurrency < 1) throw new UserError("--concurrency must be at least 1");
        const { JobQueue } = await import("../../server/jobs.js");
        const { jobHandlers } = await import("../../server/job-handlers.js");
        const { hostname } = await import("node:os");
        const queue = await JobQueue.open(url, { maintenanceIntervalSeconds: Math.max(1, o.maintenanceInterval) });
        const workerId = `${hostname()}:${process.pid}`;
        // Test hook: a delay before each job, so a test can kill a worker while it holds one.
        const startDelayMs = Number(process.env.GITOPS_HEALTH_WORKER_START_DELAY_MS ?? 0) || undefined;
        const handlers = jobHandlers({ workerId, startDelayMs });
        const logged = Object.fromEntries(
          Object.entries(handlers).map(([kind, h]) => [
            kind,
            async (data: unknown, job: { id: string; kind: typeof kind; attempt: number }) => {
              say(`${job.id}: started (attempt ${job.attempt})`);
              try {
                const out = await h(data, job as Parameters<typeof h>[1]);
                say(`${job.id}: completed`);
                return out;
              } catch (err) {
                say(`${job.id}: failed (${(err as Error).name})`);
                throw err;
              }
            },
          ]),
        ) as typeof handlers;
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          say(`${signal}: finishing the jobs in hand, then stopping`);
          void queue.close(true).then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.on("SIGTERM", () => stop("SIGTERM"));
        process.on("SIGINT", () => stop("SIGINT"));
        await queue.work(logged, { concurrency: o.concurrency, pollingIntervalSeconds: Math.max(1, o.pollInterval) });
        say(`worker ${workerId} processing scan.history, risk.train (concurrency ${o.concurrency})`);
      },
    );

  const withStore = (c: Command) =>
    c
      .option(
        "--ledger <dir>",
        "directory ledger whose token file to use (default: GITOPS_HEALTH_LEDGER or .gitops-health/ledger)",
      )
      .option("--database-url <url>", "PostgreSQL (default: GITOPS_HEALTH_DATABASE_URL)");
  const tokens = async (o: { ledger?: string; databaseUrl?: string }) => {
    const { openTokenStore, databaseUrlFrom } = await import("../../server/stores.js");
    return openTokenStore({ databaseUrl: databaseUrlFrom(o.databaseUrl), ledger: o.ledger });
  };
  const token = program.command("token").description("API tokens for the HTTP service (stored as SHA-256 hashes)");
  withStore(token.command("create").description("create a token; prints it once on stdout"))
    .requiredOption("--name <name>", "who or what uses it, e.g. ci-main")
    .requiredOption(
      "--scope <scopes...>",
      "scan, decide, ledger:append, runs:approve, admin, llm, phi:restore (comma or space separated)",
    )
    .option("--ttl-days <n>", "expire after N days", int("--ttl-days"))
    .option("--format <format>", "text | json", "text")
    .action(
      async (o: {
        name: string;
        scope: string[];
        ttlDays?: number;
        format: string;
        ledger?: string;
        databaseUrl?: string;
      }) => {
        const format = parseFormat(o.format, ["text", "json"] as const, "text");
        const { createToken, parseScopes } = await import("../../server/tokens.js");
        const scopes = parseScopes(o.scope);
        const s = await tokens(o);
        try {
          const { token: t, record } = await createToken(s.tokens, { name: o.name, scopes, ttlDays: o.ttlDays });
          say(
            `created token ${record.id} "${record.name}" (${scopes.join(", ")}) in ${s.tokens.location}; it is shown once:`,
          );
          if (format === "json")
            writeJson({ token: t, id: record.id, name: record.name, scopes, expiresAt: record.expiresAt ?? null });
          else writeOut(t);
        } finally {
          await s.close();
        }
      },
    );
  withStore(token.command("list").description("list tokens (never their secrets)"))
    .option("--format <format>", "text | json", "text")
    .action(async (o: { format: string; ledger?: string; databaseUrl?: string }) => {
      const format = parseFormat(o.format, ["text", "json"] as const, "text");
      const s = await tokens(o);
      try {
        const all = (await s.tokens.list()).map(({ hash: _hash, ...r }) => r);
        if (format === "json") writeJson(all);
        else
          for (const r of all)
            writeOut(
              `${r.id}\t${r.name}\t${r.scopes.join(",")}\t${r.createdAt}\t${r.revokedAt ? `revoked ${r.revokedAt}` : r.expiresAt ? `expires ${r.expiresAt}` : "active"}`,
            );
      } finally {
        await s.close();
      }
    });
  withStore(token.command("revoke").description("revoke a token by id or name").argument("<id>")).action(
    async (id: string, o: { ledger?: string; databaseUrl?: string }) => {
      const s = await tokens(o);
      try {
        if (!(await s.tokens.revoke(id, new Date().toISOString()))) throw new UserError(`no active token "${id}"`);
        say(`revoked ${id}`);
      } finally {
        await s.close();
      }
    },
  );

  const db = program.command("db").description("the service's PostgreSQL schema");
  db.command("migrate")
    .description("apply pending versioned migrations")
    .option("--database-url <url>", "PostgreSQL (default: GITOPS_HEALTH_DATABASE_URL)")
    .action(async (o: { databaseUrl?: string }) => {
      const { databaseUrlFrom } = await import("../../server/stores.js");
      const { migrate, openPool, LATEST_MIGRATION } = await import("../../server/db.js");
      const url = databaseUrlFrom(o.databaseUrl);
      if (!url) throw new UserError("db migrate needs --database-url or GITOPS_HEALTH_DATABASE_URL");
      const { pool, prefix } = await openPool(url, 1);
      try {
        const applied = await migrate(pool, prefix);
        // The ledger's own tables are created (idempotently) by opening it.
        const { openLedger } = await import("../../audit/index.js");
        await (await openLedger(url)).close();
        say(
          applied.length
            ? `applied migration(s) ${applied.join(", ")}; schema at version ${LATEST_MIGRATION}`
            : `schema already at version ${LATEST_MIGRATION}`,
        );
      } finally {
        await pool.end();
      }
    });
}
