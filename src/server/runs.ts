/**
 * Guarded runs and the progressive-delivery approval gate over HTTP: thin routes over
 * src/guard (verifiedRun, listRuns, recordApproval) and src/deploy/gate.ts (approvalGateStatus).
 * Reads are open to any authenticated caller; recording an approval needs scope runs:approve and
 * a signature that verifies against the server's own trust list (allowed signers, approvers[]).
 */
import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Ledger } from "../audit/types.js";
import type { Config } from "../config/schema.js";
import { approvalGateStatus, deployInputs, type GateAnswer } from "../deploy/gate.js";
import {
  ApprovalRefused,
  DEFAULT_MAX_TTL,
  listRuns,
  planDigest,
  planMissing,
  recordApproval,
  recordSignedPlan,
  requiredApprovalsFor,
  verifiedRun,
  type Plan,
  type VerifiedRun,
} from "../guard/index.js";
import { ENVIRONMENTS, RUN_ID } from "../guard/plan.js";
import { CLASSIFICATIONS } from "../core/vocabulary.js";
import type { VerifyContext } from "../core/signing.js";
import { HttpProblem } from "./problem.js";

export interface RunsDeps {
  /** environments, approvers, policy: the same configuration the CLI reads */
  config: Config;
  /** the trust list signatures are verified against (verifyContext of the served repository) */
  ctx: VerifyContext;
}

export interface RunRoutesOptions {
  ledger: Ledger;
  runs: RunsDeps;
  problem: z.ZodType;
  /** the gate answers without a credential */
  gatePublic?: boolean;
}

const RunId = z.string().regex(RUN_ID).describe("run ID");
const Digest = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .describe("plan digest (SHA-256 hex)");
const Rejected = z.array(z.object({ approver: z.string(), reason: z.string() }));
const RunState = z.enum(["unknown", "planned", "approved", "running", "completed", "failed", "unverified"]);

const GateOut = z.object({
  runId: z.string(),
  status: z.enum(["pending", "approved", "invalidated"]),
  digest: z.string().nullable().describe("digest of the run's recorded plan"),
  required: z.number().int(),
  approvers: z.array(z.string()),
  rejected: Rejected,
  reason: z.string(),
});

const RunSummary = z.object({
  runId: z.string(),
  state: RunState,
  classification: z.string().optional(),
  environment: z.string().optional(),
  requester: z.string().nullable().describe("identity proven by the key that signed the plan"),
  approvals: z.array(z.string()).describe("approvers whose signatures count"),
  notes: z.array(z.string()),
});

const RunOut = z.object({
  runId: z.string(),
  state: RunState,
  digest: z.string(),
  plan: z.object({
    command: z.string(),
    args: z.array(z.string()),
    cwd: z.string(),
    envVars: z
      .array(z.string())
      .describe("names of the environment variables passed (values are bound by the digest, not shown)"),
    classification: z.string(),
    environment: z.string(),
    head: z.string().nullable(),
    files: z.record(z.string(), z.string()).optional(),
    requester: z.string().describe("as recorded; `requester` below is what a key proves"),
    description: z.string().optional(),
  }),
  requester: z.string().nullable(),
  executedBy: z.string().nullable(),
  approvals: z.object({ valid: z.array(z.string()), rejected: Rejected, required: z.number().int() }),
  checks: z.object({ required: z.array(z.string()), missing: z.array(z.string()) }),
  outcome: z.unknown(),
  notes: z.array(z.string()),
});

const ApprovalIn = z
  .object({
    runId: RunId.optional().describe("when given, must equal the path's run ID"),
    method: z.enum(["ssh", "note"]),
    approver: z.string().max(320).describe("a hint only: the identity recorded is the one the key proves"),
    signature: z.string().min(1).max(16_384),
    keyId: z.string().max(1_000),
    fingerprint: z.string().max(200).optional(),
    digest: Digest,
    expiresAt: z.string().max(40),
    signedAt: z.string().max(40).optional().describe("ignored: the service records when it received the approval"),
  })
  .strict()
  .describe(
    "a signed approval as printed by `gitops-health approve <run> --print-only`, or the fields of a run.approval ledger entry",
  );

const PlanIn = z
  .object({
    runId: RunId,
    command: z.string().min(1).max(4_096),
    args: z.array(z.string().max(65_536)).max(1_000),
    cwd: z.string().min(1).max(4_096),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(65_536)),
    classification: z.enum(CLASSIFICATIONS),
    environment: z.enum(ENVIRONMENTS),
    head: z
      .string()
      .regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/)
      .nullable(),
    files: z.record(z.string().max(4_096), z.string().regex(/^[0-9a-f]{64}$/)).optional(),
    requester: z
      .string()
      .max(320)
      .optional()
      .describe("ignored: the requester is the key that signed, else the caller"),
    description: z.string().max(2_000).optional(),
  })
  .strict()
  .describe("exactly what will run, as `gitops-health run --format json` prints it (`plan`)");

const SignatureIn = z
  .object({
    method: z.enum(["ssh", "note"]),
    approver: z.string().max(320).describe("a hint only: the identity recorded is the one the key proves"),
    signature: z.string().min(1).max(16_384),
    keyId: z.string().max(1_000),
    fingerprint: z.string().max(200).optional(),
  })
  .strict();

const EvaluationOut = z.object({
  digest: z.string(),
  requiredApprovals: z.number().int(),
  requester: z.string().nullable(),
  validApprovers: z.array(z.string()),
  rejected: Rejected,
  requiredChecks: z.array(z.string()),
  missingChecks: z.array(z.string()),
  environmentAllowed: z.boolean(),
  alreadyExecuted: z.boolean(),
  unverifiable: z.boolean(),
  approved: z.boolean(),
  ok: z.boolean(),
});

/**
 * Runs waiting for approvals: not executed, needing approvals (by policy, or a deploy run's gate)
 * and whose gate answers pending. Cached for `ttlMs` so a scrape does not re-verify every signature.
 */
export function pendingApprovalsCounter(ledger: Ledger, runs: RunsDeps, ttlMs = 15_000): () => Promise<number> {
  let cached: { at: number; value: Promise<number> } | undefined;
  const count = async () => {
    let n = 0;
    for (const r of await listRuns(ledger)) {
      if (!r.plan || r.events.length || r.claims.length) continue;
      if (requiredApprovalsFor(r.plan, runs.config) === 0 && !deployInputs(r.plan)) continue;
      if (
        (await approvalGateStatus(ledger, r.runId, undefined, { config: runs.config, ctx: runs.ctx })).status ===
        "pending"
      )
        n++;
    }
    return n;
  };
  return () => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      cached = { at: Date.now(), value: count() };
      cached.value.catch(() => (cached = undefined));
    }
    return cached.value;
  };
}

/** HTTP status for each reason an approval is refused. */
const REFUSAL_STATUS: Record<ApprovalRefused["refusal"]["code"], [number, string]> = {
  "no-run": [404, "Not Found"],
  executed: [409, "Conflict"],
  "no-requester": [409, "Conflict"],
  stale: [409, "Conflict"],
  expiry: [422, "Unprocessable Content"],
  "bad-signature": [422, "Unprocessable Content"],
  "own-run": [403, "Forbidden"],
};

export const runRoutes: FastifyPluginAsyncZod<RunRoutesOptions> = async (app, o) => {
  const { ledger, runs } = o;
  const Problem = o.problem;
  const problems = { 400: Problem, 401: Problem, 403: Problem, 429: Problem };
  const GateProblem = z.object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    gate: GateOut.shape.status,
    runId: z.string(),
    digest: z.string().nullable(),
    required: z.number().int(),
    approvers: z.array(z.string()),
    rejected: Rejected,
    reason: z.string(),
  });

  const summary = (v: VerifiedRun): z.infer<typeof RunSummary> => ({
    runId: v.run.runId,
    state: v.state,
    ...(v.run.plan ? { classification: v.run.plan.classification, environment: v.run.plan.environment } : {}),
    requester: v.evaluation?.requester ?? null,
    approvals: v.evaluation?.validApprovers ?? [],
    notes: v.notes,
  });

  app.get(
    "/v1/runs",
    {
      config: { access: "any" },
      schema: {
        summary: "Guarded runs and their state as the signed evidence supports it",
        response: { 200: z.object({ runs: z.array(RunSummary) }), ...problems },
      },
    },
    async () => ({
      runs: await Promise.all(
        (await listRuns(ledger)).map(async (r) => summary(await verifiedRun(ledger, r.runId, runs.config, runs.ctx))),
      ),
    }),
  );

  app.get(
    "/v1/runs/:id",
    {
      config: { access: "any" },
      schema: {
        summary: "One run as the signed evidence supports it: requester, approvals that count, checks, outcome",
        params: z.object({ id: RunId }),
        response: { 200: RunOut, 404: Problem, ...problems },
      },
    },
    async (req) => {
      const v = await verifiedRun(ledger, req.params.id, runs.config, runs.ctx);
      const p = v.run.plan;
      const ev = v.evaluation;
      if (!p || !ev) throw new HttpProblem(404, "Not Found", "no such run in the ledger");
      return {
        runId: v.run.runId,
        state: v.state,
        digest: p.digest,
        plan: {
          command: p.command,
          args: p.args,
          cwd: p.cwd,
          envVars: Object.keys(p.env ?? {}),
          classification: p.classification,
          environment: p.environment,
          head: p.head,
          ...(p.files ? { files: p.files } : {}),
          requester: p.requester,
          ...(p.description !== undefined ? { description: p.description } : {}),
        },
        requester: ev.requester,
        executedBy: v.executedBy ?? null,
        approvals: { valid: ev.validApprovers, rejected: ev.rejected, required: ev.requiredApprovals },
        checks: { required: ev.requiredChecks, missing: ev.missingChecks },
        outcome: v.outcome ?? null,
        notes: v.notes,
      };
    },
  );

  app.post(
    "/v1/runs",
    {
      config: { access: "ledger:append" },
      schema: {
        summary: "Record a run's plan (dry run): what `gitops-health run --server` sends",
        description:
          "Nothing executes. With `requesterSig` (the requester's signature over the plan's request message, made with `run --key`) the signature is verified against the service's trust list and the requester recorded is the identity the key proves (422 when it does not verify); without it the plan is recorded unsigned with the caller as its requester. Answers the evaluation under the service's policy and what is missing before it may execute.",
        body: z.object({ plan: PlanIn, requesterSig: SignatureIn.optional() }).strict(),
        response: {
          201: z.object({
            runId: z.string(),
            dryRun: z.literal(true),
            digest: z.string(),
            plan: z.object({ requester: z.string() }).passthrough(),
            evaluation: EvaluationOut,
            missing: z.array(z.string()),
          }),
          409: Problem,
          413: Problem,
          422: Problem,
          ...problems,
        },
      },
    },
    async (req, reply) => {
      const caller = req.principal!.id;
      const { requester: _hint, ...fields } = req.body.plan;
      const plan: Plan = { ...fields, requester: caller };
      try {
        const evaluation = await recordSignedPlan(ledger, plan, req.body.requesterSig, runs.config, runs.ctx, {
          submittedBy: caller,
        });
        reply.code(201);
        return {
          runId: plan.runId,
          dryRun: true as const,
          digest: planDigest(plan),
          plan,
          evaluation,
          missing: planMissing(plan, evaluation),
        };
      } catch (err) {
        if (!(err instanceof ApprovalRefused)) throw err;
        const [status, title] = REFUSAL_STATUS[err.refusal.code];
        throw new HttpProblem(status, title, err.message, { code: err.refusal.code });
      }
    },
  );

  app.route({
    method: ["GET", "POST"],
    url: "/v1/runs/:id/gate",
    config: { access: o.gatePublic ? "public" : "any" },
    schema: {
      summary: "The approval gate of a progressive rollout: 200 only when approved",
      description:
        "Argo's web metric GETs it and reads `status` from the JSON; Flagger's confirm-promotion webhook POSTs (its body is ignored) and reads only the status code. 409 (problem+json carrying the gate answer, its state in `gate`) when pending or invalidated: invalidated when the run was re-planned since the rollout was built for `digest`. Without a token only when the service's auth config sets gatePublic.",
      params: z.object({ id: RunId }),
      querystring: z.object({ digest: Digest.optional() }).strict(),
      response: { 200: GateOut, 404: Problem, 409: GateProblem, ...problems },
    },
    handler: async (req, reply) => {
      const a: GateAnswer = await approvalGateStatus(ledger, req.params.id, req.query.digest, {
        config: runs.config,
        ctx: runs.ctx,
      });
      reply.header("cache-control", "no-store");
      if (a.digest === null) throw new HttpProblem(404, "Not Found", "no such run in the ledger");
      if (a.status !== "approved") {
        const { status, ...rest } = a;
        throw new HttpProblem(409, "Conflict", `${status}: ${a.reason}`, { gate: status, ...rest });
      }
      return a;
    },
  });

  app.post(
    "/v1/runs/:id/approvals",
    {
      config: { access: "runs:approve" },
      schema: {
        summary: "Record a signed approval of a run's current plan",
        description:
          "The body is what `gitops-health approve <run> --print-only` prints. The signature is verified as `approve` verifies it (the service's allowed-signers file and approvers[]); the identity recorded is the one the key proves. 422 when it does not verify or its expiry is invalid, 409 when it signs another plan than the run's current one or the run already executed, 403 when the requester approves their own run.",
        params: z.object({ id: RunId }),
        body: ApprovalIn,
        response: {
          201: z.object({
            runId: z.string(),
            approver: z.string(),
            expiresAt: z.string(),
            digest: z.string(),
            seq: z.number().int(),
          }),
          404: Problem,
          409: Problem,
          422: Problem,
          413: Problem,
          ...problems,
        },
      },
    },
    async (req, reply) => {
      const { runId, signedAt: _signedAt, ...approval } = req.body;
      if (runId !== undefined && runId !== req.params.id)
        throw new HttpProblem(400, "Bad Request", "the body's runId is not the run in the path");
      try {
        const r = await recordApproval(ledger, req.params.id, { ...approval, signedAt: "" }, runs.ctx, {
          maxTtl: runs.config.approvals?.maxTtl ?? DEFAULT_MAX_TTL,
          submittedBy: req.principal?.id,
        });
        reply.code(201);
        return { runId: req.params.id, approver: r.approver, expiresAt: r.expiresAt, digest: r.digest, seq: r.seq };
      } catch (err) {
        if (!(err instanceof ApprovalRefused)) throw err;
        const [status, title] = REFUSAL_STATUS[err.refusal.code];
        throw new HttpProblem(status, title, err.message, { code: err.refusal.code });
      }
    },
  );
};
