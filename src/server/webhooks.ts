/**
 * Forge webhooks: GitHub `pull_request` / `pull_request_review` / `push` (X-Hub-Signature-256) and
 * GitLab Merge Request Hook (approvals, updates) and Push Hook events (X-Gitlab-Token). The signature is verified on the raw bytes
 * before the body is parsed or anything is recorded; the records are then signed with the
 * service's producer key and appended to the ledger (src/review). No bearer token: the shared
 * secret is the credential.
 */
import type { FastifyPluginAsync } from "fastify";
import { ZodError } from "zod";
import type { Ledger } from "../audit/types.js";
import { UserError } from "../core/errors.js";
import { recordReviewDelivery, recordReviewEvidence, type Signer } from "../review/evidence.js";
import {
  githubWebhookRecords,
  gitlabWebhookRecords,
  verifyGithubSignature,
  verifyGitlabToken,
  type WebhookResult,
} from "../review/webhooks.js";
import { HttpProblem } from "./problem.js";

export interface WebhookDeps {
  /** GitHub webhook secret (HMAC-SHA256 key); without it /v1/webhooks/github answers 503 */
  githubSecret?: string;
  /** GitLab secret token; without it /v1/webhooks/gitlab answers 503 */
  gitlabToken?: string;
  /** signs the records (the service's producer key); without it both routes answer 503 */
  signer?: Signer;
  now?: () => Date;
}

export interface WebhookRoutesOptions {
  ledger: Ledger;
  webhooks: WebhookDeps;
}

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app, opts) => {
  const w = opts.webhooks;
  // Raw bytes: the HMAC is over the body exactly as sent, so nothing may parse it first.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  const receive = async (
    raw: unknown,
    verify: (body: Buffer) => boolean,
    secret: string | undefined,
    toRecords: (body: unknown) => WebhookResult,
    forge: string,
    delivery: string | undefined,
  ) => {
    const forgeId = forge === "GitHub" ? "github" : "gitlab";
    if (!secret || !w.signer)
      throw new HttpProblem(503, "Service Unavailable", `the ${forge} webhook is not configured on this service`);
    const body = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
    if (!verify(body)) throw new HttpProblem(401, "Unauthorized", `the ${forge} webhook signature does not verify`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      throw new HttpProblem(400, "Bad Request", "the body is not valid JSON");
    }
    let result: WebhookResult;
    try {
      result = toRecords(parsed);
    } catch (err) {
      if (err instanceof ZodError)
        throw new HttpProblem(
          400,
          "Bad Request",
          `the payload is not a ${forge} event of the documented shape (${err.issues[0]?.path.join(".") || "body"}: ${err.issues[0]?.message ?? "invalid"})`,
        );
      throw err;
    }
    // Each delivery is recorded once: the same id again (a replay of a captured request, or the forge's
    // own redelivery, which keeps the id) records nothing, so an old approval cannot be re-played over
    // a later dismissal or push. Answered 200 so the forge does not retry.
    if (delivery !== undefined && !/^[A-Za-z0-9-]{8,64}$/.test(delivery))
      throw new HttpProblem(400, "Bad Request", `the ${forge} delivery id is malformed`);
    // The check and the append are one atomic step (an append-once keyed by the delivery id), so two
    // concurrent deliveries of one id cannot both be recorded.
    let seqs: number[];
    try {
      const got = delivery
        ? await recordReviewDelivery(opts.ledger, result.records, w.signer, forgeId, delivery)
        : await recordReviewEvidence(opts.ledger, result.records, w.signer);
      if (got === null) return { recorded: [] as number[], records: [] as string[], duplicate: delivery! };
      seqs = got;
    } catch (err) {
      if (err instanceof UserError) throw new HttpProblem(422, "Unprocessable Content", err.message);
      throw err;
    }
    return {
      recorded: seqs,
      records: result.records.map((r) => r.kind),
      ...(result.ignored ? { ignored: result.ignored } : {}),
    };
  };

  const now = () => w.now?.() ?? new Date();
  app.post("/v1/webhooks/github", { config: { access: "public" }, schema: { hide: true } }, async (req, reply) => {
    const event = header(req.headers["x-github-event"]) ?? "";
    const out = await receive(
      req.body,
      (b) => verifyGithubSignature(w.githubSecret ?? "", b, header(req.headers["x-hub-signature-256"])),
      w.githubSecret,
      (body) => githubWebhookRecords(event, body, now()),
      "GitHub",
      header(req.headers["x-github-delivery"]),
    );
    return reply.code("duplicate" in out ? 200 : 202).send(out);
  });
  app.post("/v1/webhooks/gitlab", { config: { access: "public" }, schema: { hide: true } }, async (req, reply) => {
    const event = header(req.headers["x-gitlab-event"]);
    const out = await receive(
      req.body,
      () => verifyGitlabToken(w.gitlabToken ?? "", header(req.headers["x-gitlab-token"])),
      w.gitlabToken,
      (body) => gitlabWebhookRecords(event, body, now()),
      "GitLab",
      header(req.headers["x-gitlab-event-uuid"]),
    );
    return reply.code("duplicate" in out ? 200 : 202).send(out);
  });
};
