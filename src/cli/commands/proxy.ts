import type { Command } from "commander";
import { intOption } from "../options.js";
import type { Config } from "../../config/schema.js";
import type { ProxyDeps } from "../../server/proxy.js";
import { say } from "../output.js";
import { durabilityText, ledgerDurabilityFrom, ledgerDurabilityOptions } from "../ledger-durability.js";

const DEFAULT_KEY_ENVS: Record<string, string> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  azure: "AZURE_API_KEY",
  google: "GOOGLE_GENERATIVE_AI_API_KEY",
};

/**
 * The proxy's dependencies from the configuration and the environment (resolved here, in the
 * front): each upstream's key from its apiKeyEnv (or the provider's usual variable), and sandbox
 * mode from --sandbox or GITOPS_HEALTH_SANDBOX=1. Warnings name what is missing, never a value.
 */
export function proxyDepsFrom(
  config: Config,
  o: { sandbox?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): { deps: ProxyDeps; warnings: string[] } {
  const sandbox = o.sandbox === true || env.GITOPS_HEALTH_SANDBOX === "1" || env.GITOPS_HEALTH_SANDBOX === "true";
  const keys: Record<string, string> = {};
  const warnings: string[] = [];
  for (const u of config.proxy.upstreams) {
    const name = u.apiKeyEnv ?? DEFAULT_KEY_ENVS[u.type];
    const key = name ? env[name] : undefined;
    if (key) keys[u.name] = key;
    else if (!sandbox && u.type !== "openai-compatible")
      warnings.push(`proxy upstream ${u.name}: no API key in ${name}`);
  }
  return { deps: { config: config.proxy, defaultClassification: config.classification, keys, sandbox }, warnings };
}

const int = intOption;

/** `proxy`: the LLM safety proxy alone (a developer's laptop); `serve` serves it too. */
export function register(program: Command): void {
  program
    .command("proxy")
    .description(
      "run the LLM safety proxy: OpenAI-compatible /v1/chat/completions, /v1/embeddings, /v1/models and Anthropic /v1/messages, with PHI redaction and an audit entry per call",
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port (0: any free port)", int("--port"), 8787)
    .option(
      "--ledger <dir>",
      "directory ledger for audit entries and API tokens (default: GITOPS_HEALTH_LEDGER or .gitops-health/ledger)",
    )
    .option("--database-url <url>", "PostgreSQL ledger and tokens (default: GITOPS_HEALTH_DATABASE_URL)")
    .addOption(ledgerDurabilityOptions()[0])
    .addOption(ledgerDurabilityOptions()[1])
    .option(
      "--sandbox",
      "answer every call from a deterministic local mock that echoes what it received after redaction (also GITOPS_HEALTH_SANDBOX=1)",
    )
    .option("--body-limit <bytes>", "largest request body", int("--body-limit"), 4 * 1024 * 1024)
    .option("--log-level <level>", "pino level: fatal, error, warn, info, debug, silent", "warn")
    .action(
      async (o: {
        host: string;
        port: number;
        ledger?: string;
        databaseUrl?: string;
        ledgerDurability?: string;
        ledgerSyncInterval?: number;
        sandbox?: boolean;
        bodyLimit: number;
        logLevel: string;
      }) => {
        const { config } = await (
          await import("../../config/fast.js")
        ).loadConfigFast({ file: program.opts().config as string | undefined });
        const { deps, warnings } = proxyDepsFrom(config, o);
        const { openServiceStores, databaseUrlFrom } = await import("../../server/stores.js");
        const { buildApp } = await import("../../server/app.js");
        const { durability, syncIntervalMs } = ledgerDurabilityFrom(o, config);
        const stores = await openServiceStores({
          databaseUrl: databaseUrlFrom(o.databaseUrl),
          ledger: o.ledger,
          durability,
          syncIntervalMs,
        });
        stores.ledger.onFailure((m) =>
          say(`error: the ledger fails closed, appends are refused and /ready answers 503: ${m}`),
        );
        for (const w of [...stores.warnings, ...warnings]) say(`warning: ${w}`);
        const { randomBytes } = await import("node:crypto");
        const app = await buildApp({
          ledger: stores.ledger,
          tokens: stores.tokens,
          digestKey: stores.digestKey ?? randomBytes(32).toString("hex"),
          logLevel: o.logLevel,
          bodyLimit: o.bodyLimit,
          requestTimeoutMs: config.proxy.timeoutMs + 5_000,
          readiness: stores.readiness,
          proxy: deps,
        });
        let closing = false;
        const shutdown = () => {
          if (closing) return;
          closing = true;
          void app
            .close()
            .then(() => stores.close())
            .then(
              () => process.exit(0),
              () => process.exit(1),
            );
        };
        process.on("SIGTERM", shutdown);
        process.on("SIGINT", shutdown);
        const address = await app.listen({ host: o.host, port: o.port });
        say(
          `gitops-health LLM proxy on ${address}/v1 (${deps.sandbox ? "sandbox: every upstream is the local mock" : `${config.proxy.upstreams.length} upstream(s)`}; ${stores.kind} ledger ${stores.location}, durability ${durabilityText(stores.ledger.durability, stores.kind)}); clients use an API token with scope llm (gitops-health token create --scope llm)`,
        );
      },
    );
}
