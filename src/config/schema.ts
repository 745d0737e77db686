import { z } from "zod";
import { CLASSIFICATIONS, SEVERITIES } from "../core/vocabulary.js";

/**
 * `.gitops-health.yml`: one file at the repository root configures every capability.
 * Each section belongs to one domain; unknown keys are errors so typos are caught.
 */
export const Classification = z.enum(CLASSIFICATIONS);
export type Classification = z.infer<typeof Classification>;

export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

export const CriticalPath = z
  .object({
    pattern: z.string().min(1).describe("Glob (picomatch) relative to the repository root"),
    tier: z.number().int().min(1).max(3).describe("1 = most critical (e.g. PHI stores), 3 = least"),
    reason: z.string().optional(),
  })
  .strict();
export type CriticalPath = z.infer<typeof CriticalPath>;

export const Approver = z
  .object({
    name: z.string().min(1),
    email: z.string().optional(),
    key: z.string().optional().describe("SSH public key line or signed-note verifier key"),
    roles: z.array(z.string()).default([]),
  })
  .strict();

const RuleAllowlist = z
  .object({
    paths: z.array(z.string()).default([]),
    regexes: z.array(z.string()).default([]),
    stopwords: z.array(z.string()).default([]),
  })
  .strict();

export const ScanConfig = z
  .object({
    failOn: Severity.optional().describe(
      "lowest severity that fails a scan; default by classification: clinical medium, else high",
    ),
    maxFileSize: z
      .number()
      .int()
      .positive()
      .default(5 * 1024 * 1024)
      .describe("larger files are scanned in overlapping chunks, streamed"),
    allowSkip: z
      .boolean()
      .default(false)
      .describe("let files the scan cannot read pass the gate (default: each is a high scan-skipped finding)"),
    fingerprintKeyFile: z
      .string()
      .optional()
      .describe(
        "file holding the fingerprint key (hex), outside the repository; else GITOPS_HEALTH_FINGERPRINT_KEY or the key init creates",
      ),
    allowlist: z
      .object({
        paths: z.array(z.string()).default([]),
        regexes: z.array(z.string()).default([]),
        stopwords: z.array(z.string()).default([]),
        rules: z.record(z.string(), RuleAllowlist).default({}),
      })
      .strict()
      .default({ paths: [], regexes: [], stopwords: [], rules: {} }),
    customRules: z
      .array(
        z
          .object({
            id: z.string().min(1),
            pattern: z.string().min(1),
            category: z.string().default("custom"),
            severity: Severity.default("medium"),
            description: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
    gitleaksConfig: z.string().optional().describe("Path to a gitleaks.toml whose rules are added"),
    disabledRules: z.array(z.string()).default([]),
  })
  .strict();

export const PolicyRule = z
  .object({
    id: z.string().min(1),
    description: z.string().optional(),
    expr: z.string().min(1).describe("CEL expression; true means the rule passes"),
    severity: Severity.default("high"),
    message: z.string().optional(),
    controls: z.array(z.string()).default([]),
    scope: z.enum(["commit", "range"]).default("commit"),
  })
  .strict();

export const PolicyConfig = z
  .object({
    pack: z.string().optional().describe("Pack to apply; defaults to the classification's pack"),
    rules: z.array(PolicyRule).default([]),
    disable: z.array(z.string()).default([]),
    requiredChecks: z.array(z.string()).optional(),
  })
  .strict();

export const EnvironmentPolicy = z
  .object({
    allowed: z.boolean().default(true),
    dryRunDefault: z.boolean().default(true),
    approvalRequired: z.boolean().default(false),
    minApprovals: z.number().int().min(0).optional(),
  })
  .strict();

export const ApprovalsConfig = z
  .object({
    maxTtl: z
      .string()
      .regex(/^\d+\s*[smhd]$/, "a duration like 30m, 24h or 30d")
      .default("30d")
      .describe("Longest validity `approve --ttl` accepts"),
  })
  .strict();

export const LedgerConfig = z
  .object({
    location: z.string().optional().describe("Directory path or postgres:// URL"),
    origin: z.string().optional(),
    keyFile: z.string().optional(),
    retentionYears: z.number().int().min(1).default(6),
    durability: z
      .enum(["disk", "process"])
      .optional()
      .describe(
        "serve: when an append is acknowledged. disk (default): durable on disk first (survives power loss). process: written first, synced in the background within syncIntervalMs (survives the service being killed, not a power loss or kernel crash); PostgreSQL: synchronous_commit off",
      ),
    syncIntervalMs: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe("serve, durability process: least time between background syncs of the directory ledger (default 10)"),
  })
  .strict();

export const LlmConfig = z
  .object({
    provider: z.enum(["offline", "openai", "anthropic", "azure", "google", "openai-compatible"]).default("offline"),
    model: z.string().optional(),
    baseURL: z.string().optional(),
    apiKeyEnv: z.string().optional(),
    maxPromptTokens: z.number().int().positive().default(12_000),
    timeoutMs: z.number().int().positive().default(60_000).describe("Per model call; a hook never waits longer"),
    structuredOutputs: z
      .boolean()
      .default(true)
      .describe("openai-compatible: send a JSON schema (false: plain JSON mode for servers without it)"),
  })
  .strict();

export const ProxyUpstream = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,40}$/)
      .describe("Name used in aliases (upstream:model) and audit entries"),
    type: z
      .enum(["openai", "azure", "anthropic", "google", "openai-compatible"])
      .describe("Protocol: anthropic serves /v1/messages, the others /v1/chat/completions and /v1/embeddings"),
    baseURL: z
      .string()
      .url()
      .optional()
      .describe(
        "Default per type (OpenAI, Anthropic, Gemini's OpenAI endpoint); required for azure and openai-compatible (e.g. http://127.0.0.1:11434/v1)",
      ),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .optional()
      .describe("Environment variable holding the upstream key (read by serve/proxy at start)"),
    apiVersion: z.string().optional().describe("azure: api-version query parameter"),
    models: z
      .array(z.string().min(1))
      .min(1)
      .describe("Model names this upstream serves (a trailing * matches a prefix)"),
    approved: z.boolean().default(false).describe("Approved for clinical traffic (e.g. covered by a BAA)"),
  })
  .strict();
export type ProxyUpstream = z.infer<typeof ProxyUpstream>;

export const ProxyConfig = z
  .object({
    classification: Classification.optional().describe(
      "Default classification of proxied calls (default: the top-level classification)",
    ),
    headerClassification: z
      .boolean()
      .default(false)
      .describe("Let callers raise (never lower) the classification with x-gitops-health-classification"),
    tokenClassification: z
      .record(z.string(), Classification)
      .default({})
      .describe("Classification per API token name or caller id"),
    upstreams: z.array(ProxyUpstream).default([]),
    aliases: z
      .record(z.string(), z.string())
      .default({})
      .describe("Alias -> model or upstream:model, so teams pin versions"),
    identifiers: z
      .record(z.string(), z.enum(["mask", "block", "allow"]))
      .default({})
      .describe("Per identifier class (name, ssn, email...): mask, block or allow; secrets are always blocked"),
    allowList: z
      .array(z.string().min(1))
      .default([])
      .describe("Values never treated as PHI (known false positives), compared case-insensitively"),
    replyPhi: z
      .enum(["mask", "refuse"])
      .default("mask")
      .describe("PHI in a completion that was not in the prompt: mask it or refuse the call"),
    streamHoldChars: z
      .number()
      .int()
      .min(16)
      .max(4096)
      .default(64)
      .describe("Streamed text held back until scanned with this much right context"),
    timeoutMs: z.number().int().positive().default(60_000),
    requestsPerMinute: z.number().int().min(0).default(0).describe("Per caller (0: off)"),
    tokensPerDay: z.number().int().min(0).default(0).describe("Token budget per caller per UTC day (0: off)"),
    templates: z
      .record(z.string(), z.array(z.string().min(1)).min(1))
      .default({})
      .describe("Registered prompt templates and their versions (x-gitops-health-prompt-template: name@version)"),
  })
  .strict();
export type ProxyConfig = z.infer<typeof ProxyConfig>;

export const RiskConfig = z
  .object({
    modelPath: z.string().default(".gitops-health/risk-model.json"),
  })
  .strict();

export const CheckCommand = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .describe("Command for a named check: a string runs through the shell, an array runs without one");

export const EvidenceConfig = z
  .object({
    key: z
      .string()
      .optional()
      .describe(
        "Producer signing key FILE for check run (signed-note key from audit keygen, or an SSH private key); env GITOPS_HEALTH_EVIDENCE_KEY",
      ),
    allowedProducers: z
      .array(z.string())
      .default([])
      .describe("Signed-note verifier keys (name+id+key) of trusted producers, e.g. the CI key"),
    allowedSignersFile: z
      .string()
      .optional()
      .describe(
        "SSH allowed-signers file listing trusted producer keys (principals restricted to the namespace below)",
      ),
    namespace: z
      .string()
      .regex(/^[A-Za-z0-9._@-]+$/)
      .default("gitops-health-producer")
      .describe("SSH signature namespace for producer signatures"),
  })
  .strict();
export const CommitsConfig = z
  .object({
    style: z
      .enum(["conventional", "paren", "bracket", "gitmoji", "tracker", "free"])
      .optional()
      .describe(
        "Header grammar: conventional `type(scope): s`, paren `(type) s`, bracket `[TYPE] s`, gitmoji, tracker `KEY-123 s`, free text; inferred from history when absent",
      ),
    types: z
      .array(z.string().min(1))
      .optional()
      .describe("Allowed types (inferred from history or the commitlint config when absent)"),
    fixTypes: z
      .array(z.string().min(1))
      .optional()
      .describe("Types that mean a bug fix (default fix, bugfix, bug, hotfix, ...)"),
    trackerKeys: z
      .array(z.string().regex(/^[A-Z][A-Z0-9]{1,9}$/))
      .optional()
      .describe("Tracker project keys cited in headers (e.g. CDR for CDR-123)"),
    fixKeys: z
      .array(z.string().regex(/^[A-Z][A-Z0-9]{1,9}$/))
      .optional()
      .describe("Tracker projects whose issues are bugs: a header citing one of their keys is a fix"),
  })
  .strict();
export type CommitsConfig = z.infer<typeof CommitsConfig>;

export const DeployFreeze = z
  .object({
    name: z.string().min(1),
    start: z.string().optional().describe("Plain range: ISO 8601 start (inclusive)"),
    end: z.string().optional().describe("Plain range: ISO 8601 end (exclusive)"),
    rrule: z
      .string()
      .optional()
      .describe("RFC 5545 recurrence (DTSTART and RRULE lines, or a bare RRULE): each occurrence starts a freeze"),
    duration: z
      .string()
      .regex(/^\d+\s*(s|m|h|d)$/)
      .optional()
      .describe("Length of each recurring freeze, e.g. 64h"),
  })
  .strict();
export type DeployFreeze = z.infer<typeof DeployFreeze>;

export const DeployConfig = z
  .object({
    service: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      .max(50)
      .optional()
      .describe("Service (workload) name; default --service"),
    namespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      .max(63)
      .default("default"),
    replicas: z.number().int().min(1).default(3),
    port: z.number().int().min(1).max(65535).default(8080),
    target: z.enum(["argo-rollouts", "flagger", "kubernetes"]).default("argo-rollouts"),
    trafficRouting: z
      .enum(["replica", "istio", "nginx", "smi"])
      .default("replica")
      .describe("Canary traffic: replica counts, or an Istio VirtualService, NGINX ingress or SMI TrafficSplit"),
    ingress: z.string().optional().describe("NGINX: the stable Ingress name (default SERVICE)"),
    canarySteps: z
      .array(z.number().int().min(1).max(100))
      .default([10, 50, 100])
      .describe("Canary traffic weights in percent, strictly increasing, ending at 100"),
    pause: z
      .string()
      .regex(/^\d+\s*(s|m|h)$/)
      .default("5m")
      .describe("Pause after each weight before its analysis"),
    analysis: z
      .object({
        prometheusAddress: z.string().default("http://prometheus.monitoring.svc:9090"),
        successRate: z.number().gt(0).max(1).default(0.99).describe("Minimum ratio of non-5xx responses"),
        latencyP99Ms: z.number().positive().default(500).describe("Maximum p99 latency (ms)"),
        interval: z
          .string()
          .regex(/^\d+\s*(s|m|h)$/)
          .default("1m"),
        failureLimit: z.number().int().min(0).default(1),
      })
      .strict()
      .default({
        prometheusAddress: "http://prometheus.monitoring.svc:9090",
        successRate: 0.99,
        latencyP99Ms: 500,
        interval: "1m",
        failureLimit: 1,
      }),
    gateBaseUrl: z
      .string()
      .url()
      .default("http://gitops-health.gitops-health.svc:8080")
      .describe("Base URL of the gitops-health service whose /v1/runs/{id}/gate answers the approval gate"),
    freezes: z.array(DeployFreeze).default([]),
  })
  .strict();
export type DeployConfig = z.infer<typeof DeployConfig>;

export const PipelineConfig = z
  .object({
    deploy: CheckCommand.optional().describe(
      "pipeline run: the deploy command (default kubectl apply -f the plan's manifests); sees GITOPS_HEALTH_MANIFESTS, _IMAGE, _VERSION, _COMMIT, _RUN_ID, _ENV, _SERVICE, _STRATEGY",
    ),
    verify: CheckCommand.optional().describe(
      "pipeline run: the health check after deploy (default for argo-rollouts: kubectl argo rollouts status); exit 0 healthy",
    ),
    rollback: CheckCommand.optional().describe(
      "pipeline run: the rollback command on a failed verify (default: abort the Rollout / kubectl rollout undo); sees GITOPS_HEALTH_ROLLBACK_TO, _ROLLBACK_IMAGE, _ROLLBACK_COMMIT",
    ),
    test: CheckCommand.optional().describe(
      "pipeline run: the test command forensics bisect runs after a failed verify (default checks.test)",
    ),
    image: z
      .string()
      .min(1)
      .optional()
      .describe("Image to deploy; {commit}, {short} and {version} are replaced (default --image)"),
    out: z
      .string()
      .default(".gitops-health/deploy")
      .describe("Where the plan's manifests are written, one folder per run"),
    verifyAttempts: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(1)
      .describe("Health check attempts before the deploy counts as failed"),
    verifyIntervalSeconds: z.number().min(0).max(3600).default(10).describe("Seconds between health check attempts"),
  })
  .strict();
export type PipelineConfig = z.infer<typeof PipelineConfig>;

export const Config = z
  .object({
    $schema: z.string().optional(),
    classification: Classification.default("personal"),
    criticalPaths: z.array(CriticalPath).default([]),
    approvers: z.array(Approver).default([]),
    allowedSignersFile: z.string().optional(),
    approvals: ApprovalsConfig.optional().describe("Guarded-run approval settings"),
    scan: ScanConfig.default(ScanConfig.parse({})),
    policy: PolicyConfig.default(PolicyConfig.parse({})),
    environments: z.record(z.string(), EnvironmentPolicy).default({}),
    ledger: LedgerConfig.default(LedgerConfig.parse({})),
    llm: LlmConfig.default(LlmConfig.parse({})),
    risk: RiskConfig.default(RiskConfig.parse({})),
    checks: z
      .record(z.string().regex(/^[a-z][a-z0-9_-]{0,40}$/), CheckCommand)
      .default({})
      .describe('Commands for check run NAME, e.g. { lint: "npm run lint" }'),
    evidence: EvidenceConfig.default(EvidenceConfig.parse({})),
    commits: CommitsConfig.optional().describe("Commit header convention (overrides what is inferred from history)"),
    deploy: DeployConfig.default(DeployConfig.parse({})),
    proxy: ProxyConfig.default(ProxyConfig.parse({})).describe(
      "The LLM safety proxy (gitops-health proxy, serve): upstreams, aliases, per-class actions",
    ),
    pipeline: PipelineConfig.optional().describe("pipeline run: deploy, verify, rollback and bisect commands"),
  })
  .strict();
export type Config = z.infer<typeof Config>;

export const CONFIG_FILE_NAME = ".gitops-health.yml";
