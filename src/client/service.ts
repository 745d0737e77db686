/**
 * HTTP client adapter for a remote `gitops-health serve`: what the CLI's `--server URL` calls
 * instead of opening a local ledger. Thin: one method per route, JSON in and out, RFC 9457
 * problem answers turned into one-line `UserError`s (never the raw body of a non-problem answer).
 * The base URL and the token are resolved by the caller (the CLI front), never read here.
 */
import { UserError } from "../core/errors.js";
import type { Evaluation } from "../guard/runs.js";

export interface ServiceClientOptions {
  /** bearer token: an API token (`token create`) or an OIDC JWT */
  token?: string;
  /** per request (default 30 s) */
  timeoutMs?: number;
  /** injectable for tests */
  fetch?: typeof fetch;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  [k: string]: unknown;
}

/** A 4xx/5xx answer of the service: exit 2 like any other input the user can fix. */
export class ServiceError extends UserError {
  constructor(
    readonly status: number,
    readonly problem: Problem,
    what: string,
  ) {
    super(
      `${what}: the server answered ${status} ${problem.title ?? ""}${problem.detail ? `: ${problem.detail}` : ""}`.trim(),
    );
  }
}

export interface EntryOut {
  seq: number;
  time: string;
  type: string;
  actor: string;
  subject?: string;
  payload: unknown;
}

export class ServiceClient {
  readonly base: URL;
  private readonly fetchFn: typeof fetch;

  constructor(
    baseUrl: string,
    private readonly options: ServiceClientOptions = {},
  ) {
    let u: URL;
    try {
      u = new URL(baseUrl);
    } catch {
      throw new UserError(`--server must be an http(s) URL, got "${baseUrl}"`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:")
      throw new UserError(`--server must be an http(s) URL, got "${baseUrl}"`);
    if (u.username || u.password)
      throw new UserError("--server must not carry credentials in the URL: set GITOPS_HEALTH_TOKEN");
    if (!u.pathname.endsWith("/")) u.pathname += "/";
    this.base = u;
    this.fetchFn = options.fetch ?? fetch;
  }

  /** One call; `expect` lists the statuses that are answers (the others throw ServiceError). */
  async request<T>(
    method: "GET" | "POST",
    path: string,
    o: { body?: unknown; query?: Record<string, string | number | undefined>; expect?: number[]; text?: boolean } = {},
  ): Promise<{ status: number; body: T }> {
    const url = new URL(path.replace(/^\//, ""), this.base);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const what = `${method} ${url.pathname}`;
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers: {
          accept: o.text ? "text/plain, application/problem+json" : "application/json, application/problem+json",
          ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
          ...(o.body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        redirect: "error",
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const reason =
        e.name === "TimeoutError"
          ? `no answer within ${this.options.timeoutMs ?? 30_000} ms`
          : (e.cause?.code ?? e.cause?.message ?? e.message).split("\n")[0];
      throw new UserError(`cannot reach the server ${this.base.origin}: ${reason}`);
    }
    const expect = o.expect ?? [200, 201];
    const raw = await res.text();
    if (!expect.includes(res.status)) {
      let problem: Problem = { status: res.status, title: res.statusText };
      if ((res.headers.get("content-type") ?? "").includes("json")) {
        try {
          problem = { ...problem, ...(JSON.parse(raw) as Problem) };
        } catch {
          /* not JSON after all: status line only */
        }
      }
      if (res.status === 401 && !this.options.token)
        problem.detail = `${problem.detail ?? "unauthorized"} (set GITOPS_HEALTH_TOKEN)`;
      throw new ServiceError(res.status, problem, what);
    }
    if (o.text) return { status: res.status, body: raw as T };
    try {
      return { status: res.status, body: JSON.parse(raw) as T };
    } catch {
      throw new UserError(`${what}: the server's answer is not JSON (is ${this.base.origin} a gitops-health service?)`);
    }
  }

  // ---------------------------------------------------------------- ledger

  async append(entry: {
    type: string;
    subject?: string;
    payload?: unknown;
  }): Promise<{ seq: number; leafHash: string }> {
    return (
      await this.request<{ seq: number; leafHash: string }>("POST", "v1/ledger/entries", { body: entry, expect: [201] })
    ).body;
  }

  /** Every entry matching the filter, following `next` page by page. */
  async *entries(
    filter: { type?: string; subject?: string; from?: number } = {},
    pageSize = 1000,
  ): AsyncGenerator<EntryOut> {
    let from: number | null = filter.from ?? 0;
    while (from !== null) {
      const page: { status: number; body: { entries: EntryOut[]; next: number | null } } = await this.request<{
        entries: EntryOut[];
        next: number | null;
      }>("GET", "v1/ledger/entries", { query: { from, limit: pageSize, type: filter.type, subject: filter.subject } });
      yield* page.body.entries;
      from = page.body.next;
    }
  }

  async checkpoint(): Promise<{ size: number; rootHash: string; note: string }> {
    return (await this.request<{ size: number; rootHash: string; note: string }>("GET", "v1/ledger/checkpoint")).body;
  }

  async consistencyProof(
    oldSize: number,
    newSize?: number,
  ): Promise<{ oldSize: number; newSize: number; oldRoot: string; newRoot: string; proof: string[] }> {
    return (
      await this.request<{ oldSize: number; newSize: number; oldRoot: string; newRoot: string; proof: string[] }>(
        "GET",
        "v1/ledger/proofs/consistency",
        { query: { old: oldSize, new: newSize } },
      )
    ).body;
  }

  async inclusionProof(
    seq: number,
    size?: number,
  ): Promise<{ index: number; treeSize: number; leafHash: string; proof: string[]; rootHash: string }> {
    return (
      await this.request<{ index: number; treeSize: number; leafHash: string; proof: string[]; rootHash: string }>(
        "GET",
        "v1/ledger/proofs/inclusion",
        { query: { seq, size } },
      )
    ).body;
  }

  // ---------------------------------------------------------------- runs

  async runs(): Promise<RunSummaryOut[]> {
    return (await this.request<{ runs: RunSummaryOut[] }>("GET", "v1/runs")).body.runs;
  }

  async run(runId: string): Promise<RunOut> {
    return (await this.request<RunOut>("GET", `v1/runs/${encodeURIComponent(runId)}`)).body;
  }

  async submitApproval(
    runId: string,
    approval: Record<string, unknown>,
  ): Promise<{ runId: string; approver: string; expiresAt: string; digest: string; seq: number }> {
    return (
      await this.request<{ runId: string; approver: string; expiresAt: string; digest: string; seq: number }>(
        "POST",
        `v1/runs/${encodeURIComponent(runId)}/approvals`,
        { body: approval, expect: [201] },
      )
    ).body;
  }

  // ---------------------------------------------------------------- engines

  async decide(pack: string, input: unknown, failOn?: string): Promise<DecisionOut> {
    return (
      await this.request<DecisionOut>("POST", `v1/decisions/${encodeURIComponent(pack)}`, {
        body: { input, ...(failOn ? { failOn } : {}) },
      })
    ).body;
  }

  async scan(body: {
    text?: string;
    path?: string;
    records?: { id: string; text: string; path?: string }[];
    profile?: "code" | "prose";
    kinds?: ("phi" | "secret")[];
  }): Promise<ScanOut> {
    return (await this.request<ScanOut>("POST", "v1/scan", { body })).body;
  }

  async sanitize(body: {
    text: string;
    mode: "redact" | "mask" | "hash" | "synthetic";
    key?: string;
    documentId?: string;
    path?: string;
  }): Promise<SanitizeOut> {
    return (await this.request<SanitizeOut>("POST", "v1/sanitize", { body })).body;
  }

  /** Score a change sent as a unified diff plus metadata (no history on the service's side). */
  async riskScore(body: {
    diff: string;
    author?: string;
    message?: string;
    time?: number;
    classification?: string;
  }): Promise<RiskOut> {
    return (await this.request<RiskOut>("POST", "v1/risk/score", { body })).body;
  }

  /** Score a commit of a repository registered with the service (`/v1/repos`), with its history. */
  async repoRisk(repo: string, commit?: string): Promise<RiskOut & { repo: string; commit: string }> {
    return (
      await this.request<RiskOut & { repo: string; commit: string }>(
        "POST",
        `v1/repos/${encodeURIComponent(repo)}/risk`,
        { body: commit ? { commit } : {} },
      )
    ).body;
  }

  /** Record a run's plan (dry run), signed by the requester when `requesterSig` is given. */
  async createRun(body: { plan: unknown; requesterSig?: unknown }): Promise<CreatedRunOut> {
    return (await this.request<CreatedRunOut>("POST", "v1/runs", { body, expect: [201] })).body;
  }
}

export interface SanitizeOut {
  text: string;
  replacements: {
    category: string;
    line: number;
    column: number;
    start: number;
    end: number;
    before: string;
    after: string;
    /** synthetic mode: the replacement is from a reserved range (safe to show) */
    reserved?: boolean;
  }[];
}

export interface RiskOut {
  score: number;
  level: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
  likelihood?: number;
  strategy: "standard" | "canary" | "blue-green";
  approvals: number;
  files?: number;
  factors: { name: string; value: number; contribution: number; explanation?: string }[];
  model: string;
  warnings: string[];
}

export interface CreatedRunOut {
  runId: string;
  dryRun: true;
  digest: string;
  plan: { requester: string; [k: string]: unknown };
  evaluation: Evaluation;
  missing: string[];
}

export interface RunSummaryOut {
  runId: string;
  state: string;
  classification?: string;
  environment?: string;
  requester: string | null;
  approvals: string[];
  notes: string[];
}

export interface RunOut {
  runId: string;
  state: string;
  digest: string;
  plan: {
    command: string;
    args: string[];
    classification: string;
    environment: string;
    requester: string;
    head: string | null;
  };
  requester: string | null;
  executedBy: string | null;
  approvals: { valid: string[]; rejected: { approver: string; reason: string }[]; required: number };
  checks: { required: string[]; missing: string[] };
  outcome: unknown;
  notes: string[];
}

export interface DecisionOut {
  decision_id: string;
  result: { allow: boolean; decision: "pass" | "fail" };
  violations: { rule: string; severity: string; message: string; controls: string[]; commit?: string; file?: string }[];
  controls: { id: string; title: string; status: string; rules: string[]; failedCommits: string[] }[];
  ledger: { seq: number; leafHash: string };
}

export interface ScanOut {
  results: {
    id?: string;
    findings: ScanFindingOut[];
  }[];
  findings: number;
}

export interface ScanFindingOut {
  ruleId: string;
  category: string;
  hipaaIdentifier?: number;
  severity: "low" | "medium" | "high";
  confidence: number;
  line: number;
  column: number;
  start: number;
  end: number;
  preview: string;
  synthetic?: boolean;
}
