import type { Config } from "./schema.js";

/**
 * The configuration every command sees when no `.gitops-health.yml` exists. Kept as a plain
 * object so git hooks in repositories without a config never load the YAML parser or zod;
 * a test checks it equals the zod schema's defaults.
 */
export const DEFAULT_CONFIG: Config = {
  classification: "personal",
  criticalPaths: [],
  approvers: [],
  scan: {
    maxFileSize: 5242880,
    allowSkip: false,
    allowlist: { paths: [], regexes: [], stopwords: [], rules: {} },
    customRules: [],
    disabledRules: [],
  },
  policy: { rules: [], disable: [] },
  environments: {},
  ledger: { retentionYears: 6 },
  llm: { provider: "offline", maxPromptTokens: 12000, timeoutMs: 60000, structuredOutputs: true },
  risk: { modelPath: ".gitops-health/risk-model.json" },
  checks: {},
  evidence: { allowedProducers: [], namespace: "gitops-health-producer" },
  deploy: {
    namespace: "default",
    replicas: 3,
    port: 8080,
    target: "argo-rollouts",
    trafficRouting: "replica",
    canarySteps: [10, 50, 100],
    pause: "5m",
    analysis: {
      prometheusAddress: "http://prometheus.monitoring.svc:9090",
      successRate: 0.99,
      latencyP99Ms: 500,
      interval: "1m",
      failureLimit: 1,
    },
    gateBaseUrl: "http://gitops-health.gitops-health.svc:8080",
    freezes: [],
  },
  proxy: {
    headerClassification: false,
    tokenClassification: {},
    upstreams: [],
    aliases: {},
    identifiers: {},
    allowList: [],
    replyPhi: "mask",
    streamHoldChars: 64,
    timeoutMs: 60000,
    requestsPerMinute: 0,
    tokensPerDay: 0,
    templates: {},
  },
};

/**
 * The scan gate's default severity: `scan.failOn` when set, else by classification. Clinical
 * repositories fail on medium findings (a note whose identifiers are all medium-confidence names
 * and dates would otherwise pass); personal and business on high. (Here, not in schema.ts: the
 * pre-commit hook must not load zod.)
 */
export function scanFailOn(config: Pick<Config, "classification" | "scan">): NonNullable<Config["scan"]["failOn"]> {
  return config.scan.failOn ?? (config.classification === "clinical" ? "medium" : "high");
}
