/**
 * The LLM safety proxy over HTTP: OpenAI-compatible `POST /v1/chat/completions` (JSON or
 * server-sent events), `POST /v1/embeddings`, `GET /v1/models`, and Anthropic's `POST /v1/messages`.
 * A thin adapter over src/proxy: redact the request per classification, refuse what policy
 * refuses, forward to the routed upstream (or the sandbox mock) with fetch, scan the answer
 * (streams through a StreamGuard: nothing leaves unscanned), and append one `llm.proxy` entry.
 *
 * Authentication: the service's API tokens and OIDC (scope `llm`; `phi:restore` to get
 * placeholders restored). Errors are OpenAI-style (`{"error": {...}}`) or Anthropic-style on
 * /v1/messages, because the clients of these routes are OpenAI and Anthropic SDKs.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { AuditLedger } from "../audit/ledger.js";
import type { Classification, ProxyConfig } from "../config/schema.js";
import type { Scanner } from "../llm/redaction.js";
import { scanText } from "../phi/index.js";
import type { Finding } from "../phi/types.js";
import {
  CallerLimits,
  filterReply,
  listModels,
  PlaceholderSession,
  policyFor,
  protocolOf,
  proxyLedgerEntry,
  redactChatRequest,
  redactEmbeddingsRequest,
  redactMessagesRequest,
  resolveRoute,
  sandboxResponse,
  sha256,
  StreamGuard,
  stricter,
  upstreamRequest,
  type ProxyCallRecord,
  type ReplyFilter,
  type Route,
} from "../proxy/index.js";
import { CLASSIFICATION_ORDER } from "../proxy/policy.js";
import { ScanCache } from "../proxy/scan-cache.js";
import type { Principal } from "./auth.js";
import { GroupCommit } from "./group-commit.js";
import { upstreamClient, type UpstreamFetch, type UpstreamResponse } from "./upstream.js";

export interface ProxyDeps {
  config: ProxyConfig;
  /** the classification when neither proxy.classification nor the token sets one */
  defaultClassification: Classification;
  /** upstream name -> API key, resolved by the front (serve/proxy) from each upstream's apiKeyEnv */
  keys: Record<string, string>;
  /** swap every upstream for the deterministic local mock */
  sandbox: boolean;
  fetch?: typeof fetch;
  scanner?: Scanner;
  /** prompt strings whose findings are kept for the next calls (src/proxy/scan-cache.ts); 0: none. Default 1024. */
  scanCache?: number;
}

export interface ProxyRouteOptions extends ProxyDeps {
  ledger: AuditLedger;
  authenticate: (authorization: string | undefined) => Promise<Principal | undefined>;
}

type Json = Record<string, unknown>;
type Path = "chat/completions" | "embeddings" | "messages";
const isObj = (v: unknown): v is Json => !!v && typeof v === "object" && !Array.isArray(v);

/** An error answered to the client in its SDK's shape; `rule` names the policy that refused. */
class ProxyError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly rule?: string,
  ) {
    super(message);
  }
}

const anthropicType = (status: number) =>
  status === 401
    ? "authentication_error"
    : status === 403
      ? "permission_error"
      : status === 404
        ? "not_found_error"
        : status === 429
          ? "rate_limit_error"
          : status >= 500
            ? "api_error"
            : "invalid_request_error";

function errorBody(anthropic: boolean, e: ProxyError): Json {
  if (anthropic) return { type: "error", error: { type: anthropicType(e.status), message: e.message } };
  return {
    error: { message: e.message, type: e.type, param: null, code: e.code ?? null, ...(e.rule ? { rule: e.rule } : {}) },
  };
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const countBy = (fs: Finding[]) =>
  fs.reduce<Record<string, number>>((r, f) => ((r[f.category] = (r[f.category] ?? 0) + 1), r), {});

export const proxyRoutes: FastifyPluginAsync<ProxyRouteOptions> = async (app, o) => {
  // offsets and classes are all the redaction and the audit counts read: no previews, no fingerprints
  const scan: Scanner = o.scanner ?? ((t) => scanText(t, { profile: "prose", offsetsOnly: true }));
  // The prompt side scans through a cache: the system prompt and the conversation so far come back with every call.
  const promptScan = new ScanCache(scan, { maxEntries: o.scanCache ?? 1024 }).scan;
  const allow = new Set(o.config.allowList.map((v) => v.toLowerCase()));
  // the policy of each classification, made once (read only)
  const policies = Object.fromEntries(CLASSIFICATION_ORDER.map((c) => [c, policyFor(o.config, c)])) as Record<
    Classification,
    ReturnType<typeof policyFor>
  >;
  // The upstream call: node:http with keep-alive (./upstream.ts, cheaper than fetch), or the fetch given.
  const client = o.fetch ? undefined : upstreamClient();
  if (client) app.addHook("onClose", async () => client.close());
  const given = o.fetch;
  const doFetch: UpstreamFetch = given
    ? (url, init) =>
        given(url, {
          method: init.method,
          headers: init.headers,
          body: init.body,
          signal: AbortSignal.timeout(init.timeoutMs),
        })
    : client!.fetch;
  const limits = new CallerLimits(o.config.requestsPerMinute, o.config.tokensPerDay);
  const group = new GroupCommit(o.ledger);
  app.addHook("onClose", async () => group.drain());

  const isAnthropic = (req: FastifyRequest) => req.routeOptions.url?.endsWith("/v1/messages") === true;
  const send = (req: FastifyRequest, reply: FastifyReply, e: ProxyError) => {
    if (e.status === 401) reply.header("www-authenticate", 'Bearer realm="gitops-health"');
    return reply
      .code(e.status)
      .type("application/json")
      .send(JSON.stringify(errorBody(isAnthropic(req), e)));
  };

  // Own authentication (the routes are "public" to the service-wide hook, which answers in
  // problem+json): the same token and OIDC verification, answered in the SDKs' error shape.
  app.addHook("onRequest", async (req, reply) => {
    // Anthropic SDKs send the key as x-api-key.
    const xKey = req.headers["x-api-key"];
    const header = req.headers.authorization ?? (typeof xKey === "string" ? `Bearer ${xKey}` : undefined);
    req.principal = await o.authenticate(header);
    if (!req.principal)
      return send(
        req,
        reply,
        new ProxyError(
          401,
          "invalid_request_error",
          "a valid API token or OIDC token is required (Authorization: Bearer ...)",
          "invalid_api_key",
        ),
      );
    if (!req.principal.scopes.includes("llm") && !req.principal.scopes.includes("admin"))
      return send(
        req,
        reply,
        new ProxyError(403, "permission_error", "this call needs scope llm", "insufficient_scope"),
      );
    return undefined;
  });

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    if (err instanceof ProxyError) return send(req, reply, err);
    const status = err.statusCode ?? 500;
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE")
      return send(
        req,
        reply,
        new ProxyError(413, "invalid_request_error", "the request body is too large", "body_too_large"),
      );
    if (
      err instanceof SyntaxError ||
      err.code === "FST_ERR_CTP_INVALID_JSON_BODY" ||
      err.code === "FST_ERR_CTP_EMPTY_JSON_BODY"
    )
      return send(
        req,
        reply,
        new ProxyError(400, "invalid_request_error", "the body is not valid JSON", "invalid_json"),
      );
    if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
      return send(
        req,
        reply,
        new ProxyError(415, "invalid_request_error", "send application/json", "unsupported_media_type"),
      );
    if (status === 429)
      return send(req, reply, new ProxyError(429, "rate_limit_error", err.message, "rate_limit_exceeded"));
    if (status >= 400 && status < 500)
      return send(req, reply, new ProxyError(status, "invalid_request_error", "bad request"));
    req.log.error({ err }, "proxy request failed");
    return send(req, reply, new ProxyError(500, "server_error", "internal error"));
  });

  const cfg = { access: "public" as const };
  // A model call may take longer than the service's other routes: its deadline is the upstream timeout's, plus 10 s
  // (the service's deadline sweep, src/server/app.ts; Fastify's handlerTimeout never fires on a POST whose body was
  // read, and cost an AbortController and a DOMException per call).
  const callCfg = { access: "public" as const, timeoutMs: o.config.timeoutMs + 10_000 };

  app.get("/v1/models", { config: cfg, schema: { hide: true } }, async () => ({
    object: "list",
    data: listModels(o.config).map((m) => ({ id: m.id, object: "model", created: 0, owned_by: m.owned_by })),
  }));

  /** token name or caller id -> classification, then the route prefix and the header (raise only; the header when allowed). */
  const classify = (req: FastifyRequest, routeClass: Classification | undefined): Classification => {
    const p = req.principal!;
    const tokenName = /^token:(.+)#[0-9a-f]+$/.exec(p.id)?.[1];
    let c =
      (tokenName !== undefined ? o.config.tokenClassification[tokenName] : undefined) ??
      o.config.tokenClassification[p.id] ??
      o.config.classification ??
      o.defaultClassification;
    const h = req.headers["x-gitops-health-classification"];
    if (typeof h === "string") {
      if (!(CLASSIFICATION_ORDER as string[]).includes(h))
        throw new ProxyError(
          400,
          "invalid_request_error",
          `x-gitops-health-classification must be one of ${CLASSIFICATION_ORDER.join(", ")}`,
          "invalid_classification",
        );
      if (o.config.headerClassification) c = stricter(c, h as Classification);
    }
    return routeClass ? stricter(c, routeClass) : c;
  };

  const template = (req: FastifyRequest): { name: string; version: string } | undefined => {
    const h = req.headers["x-gitops-health-prompt-template"];
    if (typeof h !== "string") return undefined;
    const m = /^([\w.-]{1,80})@([\w.+-]{1,40})$/.exec(h);
    if (!m || !o.config.templates[m[1]!]?.includes(m[2]!))
      throw new ProxyError(
        400,
        "invalid_request_error",
        "x-gitops-health-prompt-template names no registered template version (name@version, proxy.templates)",
        "unknown_prompt_template",
        "templates",
      );
    return { name: m[1]!, version: m[2]! };
  };

  /** the repository label a caller may send for the dashboard's per-repository views (a label: nothing is decided by it) */
  const repoLabel = (req: FastifyRequest): string | undefined => {
    const h = req.headers["x-gitops-health-repo"];
    if (typeof h !== "string") return undefined;
    if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/.test(h))
      throw new ProxyError(
        400,
        "invalid_request_error",
        "x-gitops-health-repo must be a repository label such as owner/name",
        "invalid_repo_label",
      );
    return h;
  };

  const handle = async (
    path: Path,
    routeClass: Classification | undefined,
    req: FastifyRequest,
    reply: FastifyReply,
  ) => {
    const started = performance.now();
    const anthropic = path === "messages";
    const caller = req.principal!.id;
    const classification = classify(req, routeClass);
    const tpl = template(req);
    const repo = repoLabel(req);
    const rec: ProxyCallRecord = {
      caller,
      route: `POST ${routeClass ? `/${routeClass}` : ""}/v1/${path}`,
      classification,
      mode: o.sandbox ? "sandbox" : "live",
      model: {},
      stream: false,
      decision: "ok",
      status: 200,
      latencyMs: 0,
      prompt: { sha256: EMPTY_SHA256, findings: {}, masked: {}, allowed: {}, blocked: {} },
      ...(tpl ? { template: tpl } : {}),
      ...(repo ? { repo } : {}),
    };
    const finish = async (status: number) => {
      rec.status = status;
      rec.latencyMs = Math.round(performance.now() - started);
      await group.append(proxyLedgerEntry(rec));
    };
    const refuse = async (e: ProxyError, decision: ProxyCallRecord["decision"] = "refused") => {
      rec.decision = decision;
      if (e.rule) rec.rule = e.rule;
      await finish(e.status);
      throw e;
    };

    const body = req.body;
    if (!isObj(body) || typeof body.model !== "string")
      return refuse(
        new ProxyError(400, "invalid_request_error", "the body must be a JSON object with a model", "invalid_request"),
        "error",
      );
    // the caller's model string is recorded as given only once it names a configured model or alias
    rec.model.requested = `sha256:${sha256(body.model)}`;
    rec.stream = body.stream === true && path !== "embeddings";
    const admitted = limits.admit(caller);
    if (admitted) {
      reply.header("retry-after", String(admitted.retryAfterS));
      return refuse(
        new ProxyError(
          429,
          "rate_limit_error",
          `refused by rule ${admitted.rule}: ${admitted.message}`,
          "rate_limit_exceeded",
          admitted.rule,
        ),
        "limited",
      );
    }
    const routed = resolveRoute(o.config, body.model);
    if (!routed.ok)
      return refuse(new ProxyError(404, "invalid_request_error", routed.reason, "model_not_found", "routing"), "error");
    const route: Route = routed.route;
    rec.model.requested = body.model;
    rec.upstream = route.upstream.name;
    rec.model.resolved = route.model;
    if ((protocolOf(route.upstream) === "anthropic") !== anthropic)
      return refuse(
        new ProxyError(
          400,
          "invalid_request_error",
          `model "${body.model}" is served by ${route.upstream.type} upstream ${route.upstream.name}, which does not speak /v1/${path}`,
          "unsupported_route",
          "routing",
        ),
        "error",
      );
    if (classification === "clinical" && !route.upstream.approved)
      return refuse(
        new ProxyError(
          403,
          "permission_error",
          `refused by rule clinical.approvedUpstreams: upstream ${route.upstream.name} is not approved for clinical data`,
          "upstream_not_approved",
          "clinical.approvedUpstreams",
        ),
      );

    // ---- redact
    const session = new PlaceholderSession(policies[classification], promptScan);
    const redacted =
      path === "chat/completions"
        ? redactChatRequest(session, body)
        : path === "messages"
          ? redactMessagesRequest(session, body)
          : redactEmbeddingsRequest(session, body);
    if (!redacted)
      return refuse(
        new ProxyError(
          400,
          "invalid_request_error",
          "embeddings input must be a string or an array of strings (token arrays cannot be scanned)",
          "unscannable_input",
          "input",
        ),
      );
    const sent = JSON.stringify({ ...redacted, model: route.model });
    rec.prompt = {
      sha256: sha256(sent),
      findings: session.found,
      masked: session.masked,
      allowed: session.allowed,
      blocked: countBy(session.blocked.map((b) => ({ category: b.category }) as Finding)),
    };
    if (session.blocked.length) {
      const rule = session.blocked.find((b) => b.rule === "secret")?.rule ?? session.blocked[0]!.rule;
      const classes = [...new Set(session.blocked.map((b) => b.category))].join(", ");
      return refuse(
        new ProxyError(
          403,
          "permission_error",
          `refused by rule ${rule}: the request holds ${session.blocked.length} identifier(s) of a blocked class (${classes}); nothing was sent upstream`,
          "content_blocked",
          rule,
        ),
      );
    }
    if (classification === "clinical") {
      const residual = session.residual();
      if (sum(residual) > 0)
        return refuse(
          new ProxyError(
            403,
            "permission_error",
            `refused by rule clinical.residual: ${sum(residual)} high-severity identifier(s) remain after redaction (${Object.keys(residual).join(", ")})`,
            "content_blocked",
            "clinical.residual",
          ),
        );
    }

    // ---- forward
    const restore = req.principal!.scopes.includes("phi:restore") || req.principal!.scopes.includes("admin");
    rec.restored = restore && session.map.size > 0;
    const filter: ReplyFilter = {
      passed: session.passed,
      allow,
      ...(restore ? { restore: session.map } : {}),
    };
    let res: UpstreamResponse;
    try {
      if (o.sandbox) res = sandboxResponse(path, JSON.parse(sent) as Json);
      else {
        const u = upstreamRequest(route.upstream, path, route.model, o.keys[route.upstream.name]);
        res = await doFetch(u.url, {
          method: "POST",
          headers: u.headers,
          body: sent,
          timeoutMs: o.config.timeoutMs,
        });
      }
    } catch (err) {
      const timeout = (err as Error).name === "TimeoutError";
      return refuse(
        new ProxyError(
          timeout ? 504 : 502,
          "upstream_error",
          timeout
            ? `upstream ${route.upstream.name} did not answer within ${o.config.timeoutMs} ms`
            : `upstream ${route.upstream.name} is unreachable`,
          timeout ? "upstream_timeout" : "upstream_unreachable",
        ),
        "error",
      );
    }
    if (!res.ok) {
      // Upstream errors pass back in the SDK's shape; their text may quote the redacted request, so it is scanned too.
      const raw = await res.text().catch(() => "");
      let msg = `upstream ${route.upstream.name} answered HTTP ${res.status}`;
      try {
        const j = JSON.parse(raw.slice(0, 65536)) as { error?: { message?: unknown } | string; message?: unknown };
        const m =
          typeof j.error === "string"
            ? j.error
            : typeof j.error?.message === "string"
              ? j.error.message
              : typeof j.message === "string"
                ? j.message
                : undefined;
        if (m) msg += `: ${filterReply(m.slice(0, 500), scan, { passed: new Set(), allow: filter.allow }).text}`;
      } catch {
        /* not JSON */
      }
      // the caller's request errors pass with their status; the upstream's own (its key refused, its failures) are 502
      return refuse(
        new ProxyError(
          [400, 404, 413, 422, 429].includes(res.status) ? res.status : 502,
          "upstream_error",
          msg,
          "upstream_error",
        ),
        "error",
      );
    }

    if (rec.stream) return streamBack(path, res, req, reply, rec, filter, finish);

    // ---- scan the answer (JSON)
    let answer: Json;
    try {
      answer = (await res.json()) as Json;
    } catch {
      return refuse(
        new ProxyError(
          502,
          "upstream_error",
          `upstream ${route.upstream.name} answered with something that is not JSON`,
          "upstream_error",
        ),
        "error",
      );
    }
    if (typeof answer.model === "string") rec.model.reported = answer.model;
    const hits: Finding[] = [];
    const received: string[] = [];
    const clean = (s: string) => {
      received.push(s);
      const r = filterReply(s, scan, filter);
      hits.push(...r.findings);
      return r.text;
    };
    /** every string inside, except opaque or structural fields */
    const cleanDeep = (v: unknown, keep: Set<string>): unknown =>
      typeof v === "string"
        ? clean(v)
        : Array.isArray(v)
          ? v.map((x) => cleanDeep(x, keep))
          : isObj(v)
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, keep.has(k) ? x : cleanDeep(x, keep)]))
            : v;
    if (path === "chat/completions" && Array.isArray(answer.choices)) {
      // content, refusal, reasoning text, tool-call arguments... every string of the message but its role and ids
      answer.choices = answer.choices.map((c: unknown) =>
        isObj(c) && isObj(c.message) ? { ...c, message: cleanDeep(c.message, MESSAGE_KEEP) } : c,
      );
    } else if (path === "messages" && Array.isArray(answer.content)) {
      // text, tool_use input, thinking...; signatures are opaque and stay
      answer.content = answer.content.map((b: unknown) => cleanDeep(b, BLOCK_KEEP));
    }
    rec.usage = usageOf(answer);
    rec.completion = { sha256: sha256(received.join("\n\u0000\n")), findings: countBy(hits) };
    limits.spend(caller, rec.usage?.totalTokens ?? Math.ceil((sent.length + received.join("").length) / 4));
    if (hits.length && o.config.replyPhi === "refuse")
      return refuse(
        new ProxyError(
          403,
          "permission_error",
          `refused by rule replyPhi: the completion holds ${hits.length} identifier(s) that were not in the prompt (${Object.keys(countBy(hits)).join(", ")})`,
          "content_blocked",
          "replyPhi",
        ),
      );
    await finish(200);
    return answer;
  };

  const streamBack = async (
    path: Path,
    res: UpstreamResponse,
    req: FastifyRequest,
    reply: FastifyReply,
    rec: ProxyCallRecord,
    filter: ReplyFilter,
    finish: (status: number) => Promise<void>,
  ) => {
    const anthropic = path === "messages";
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    const guards = new Map<string, StreamGuard>();
    const guard = (key: string) => {
      let g = guards.get(key);
      if (!g) guards.set(key, (g = new StreamGuard(scan, filter, o.config.streamHoldChars)));
      return g;
    };
    let refused = false;
    const checkRefuse = () => {
      if (refused || o.config.replyPhi !== "refuse") return refused;
      const n = [...guards.values()].reduce((a, g) => a + g.findings.length, 0);
      if (n === 0) return false;
      refused = true;
      rec.decision = "refused";
      rec.rule = "replyPhi";
      const e = new ProxyError(
        403,
        "permission_error",
        `refused by rule replyPhi: the completion holds ${n} identifier(s) that were not in the prompt`,
        "content_blocked",
        "replyPhi",
      );
      out.write(
        anthropic
          ? `event: error\ndata: ${JSON.stringify(errorBody(true, e))}\n\n`
          : `data: ${JSON.stringify(errorBody(false, e))}\n\n`,
      );
      return true;
    };
    const usage: { inputTokens?: number; outputTokens?: number; totalTokens?: number } = {};
    const emitOpenAi = (chunk: Json) => out.write(`data: ${JSON.stringify(chunk)}\n\n`);
    /** OpenAI: rewrite each chunk's deltas with what the guards release; flush a choice's guards before its finish. */
    const onOpenAi = (chunk: Json) => {
      if (typeof chunk.model === "string") rec.model.reported = chunk.model;
      if (isObj(chunk.usage)) Object.assign(usage, usageOf(chunk));
      if (!Array.isArray(chunk.choices)) return emitOpenAi(chunk);
      const now: unknown[] = [];
      const fins: Json[] = [];
      for (const c of chunk.choices as unknown[]) {
        if (!isObj(c)) {
          now.push(c);
          continue;
        }
        const i = typeof c.index === "number" ? c.index : 0;
        const d: Json = isObj(c.delta) ? { ...c.delta } : {};
        // every text field of the delta (content, refusal, reasoning_content...) through its own window
        for (const [k, v] of Object.entries(d))
          if (k !== "role" && typeof v === "string") d[k] = guard(`${i}:f:${k}`).push(v);
        if (Array.isArray(d.tool_calls))
          d.tool_calls = d.tool_calls.map((t: unknown) =>
            isObj(t) && isObj(t.function) && typeof t.function.arguments === "string"
              ? {
                  ...t,
                  function: {
                    ...t.function,
                    arguments: guard(`${i}:t${String(t.index ?? 0)}`).push(t.function.arguments),
                  },
                }
              : t,
          );
        if (c.finish_reason == null) {
          now.push({ ...c, delta: d });
          continue;
        }
        // a finishing choice: the rest of its text, scanned, goes out before its finish reason
        const fields: Json = {};
        for (const [k, g] of guards)
          if (k.startsWith(`${i}:f:`))
            fields[k.slice(`${i}:f:`.length)] =
              `${typeof d[k.slice(`${i}:f:`.length)] === "string" ? (d[k.slice(`${i}:f:`.length)] as string) : ""}${g.flush()}`;
        const tools = [...guards.entries()]
          .filter(([k]) => k.startsWith(`${i}:t`))
          .map(([k, g]) => ({ index: Number(k.slice(`${i}:t`.length)), function: { arguments: g.flush() } }));
        const tcs = [...(Array.isArray(d.tool_calls) ? d.tool_calls : []), ...tools];
        now.push({ ...c, delta: { ...d, ...fields, ...(tcs.length ? { tool_calls: tcs } : {}) }, finish_reason: null });
        fins.push({ ...c, delta: {} });
      }
      if (checkRefuse()) return;
      if (fins.length === 0) return emitOpenAi({ ...chunk, choices: now });
      const { usage: u, ...rest } = chunk;
      if (now.length) emitOpenAi({ ...rest, choices: now });
      emitOpenAi({ ...rest, choices: fins, ...(u !== undefined ? { usage: u } : {}) });
    };
    /** Anthropic: text and tool-input deltas through guards, flushed at content_block_stop. */
    const onAnthropic = (event: string, data: Json) => {
      const emit = (ev: string, d: Json) => out.write(`event: ${ev}\ndata: ${JSON.stringify(d)}\n\n`);
      if (data.type === "message_start" && isObj(data.message)) {
        if (typeof data.message.model === "string") rec.model.reported = data.message.model;
        if (isObj(data.message.usage) && typeof data.message.usage.input_tokens === "number")
          usage.inputTokens = data.message.usage.input_tokens;
      }
      if (data.type === "message_delta" && isObj(data.usage) && typeof data.usage.output_tokens === "number")
        usage.outputTokens = data.usage.output_tokens;
      const idx = typeof data.index === "number" ? data.index : 0;
      if (data.type === "content_block_delta" && isObj(data.delta)) {
        const d: Json = { ...data.delta };
        // text_delta.text, input_json_delta.partial_json, thinking_delta.thinking: each through a window;
        // signatures are opaque; any other delta's strings are scanned as they are
        const field =
          d.type === "text_delta"
            ? "text"
            : d.type === "input_json_delta"
              ? "partial_json"
              : d.type === "thinking_delta"
                ? "thinking"
                : undefined;
        if (field && typeof d[field] === "string") {
          d[field] = guard(`${idx}:${String(d.type)}:${field}`).push(d[field] as string);
          if (checkRefuse()) return;
          if (d[field] !== "") emit(event, { ...data, delta: d });
          return;
        }
        if (d.type !== "signature_delta")
          for (const [k, v] of Object.entries(d))
            if (k !== "type" && typeof v === "string") d[k] = filterReply(v, scan, filter).text;
        emit(event, { ...data, delta: d });
        return;
      }
      if (data.type === "content_block_stop") {
        for (const [k, g] of guards) {
          const [i, type, field] = k.split(":");
          if (Number(i) !== idx) continue;
          const rest = g.flush();
          if (checkRefuse()) return;
          if (rest)
            emit("content_block_delta", { type: "content_block_delta", index: idx, delta: { type, [field!]: rest } });
        }
      }
      emit(event, data);
    };

    let status = 200;
    try {
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let buf = "";
      let done = false;
      while (!done && !refused) {
        const r = await reader.read();
        if (r.done) buf += "\n\n";
        else buf += dec.decode(r.value, { stream: true });
        buf = buf.replace(/\r\n/g, "\n");
        let at: number;
        while ((at = buf.indexOf("\n\n")) >= 0 && !refused) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          let event = "message";
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
          }
          if (data.length === 0) continue;
          const payload = data.join("\n");
          if (!anthropic && payload === "[DONE]") {
            // any choice the upstream never finished: its text, scanned
            for (const [k, g] of guards) {
              const rest = g.flush();
              if (checkRefuse()) break;
              const [choice, kind] = k.split(":");
              if (rest)
                emitOpenAi({
                  object: "chat.completion.chunk",
                  model: rec.model.reported ?? rec.model.resolved,
                  choices: [
                    {
                      index: Number(choice),
                      delta:
                        kind === "f"
                          ? { [k.slice(k.indexOf(":f:") + 3)]: rest }
                          : { tool_calls: [{ index: Number(kind!.slice(1)), function: { arguments: rest } }] },
                      finish_reason: null,
                    },
                  ],
                });
            }
            if (!refused) out.write("data: [DONE]\n\n");
            done = true;
            break;
          }
          let parsed: Json;
          try {
            parsed = JSON.parse(payload) as Json;
          } catch {
            continue; // not JSON: never passed on unscanned
          }
          if (anthropic) onAnthropic(event, parsed);
          else onOpenAi(parsed);
        }
        if (r.done) done = true;
      }
      if (refused) await reader.cancel().catch(() => undefined);
      // OpenAI streams without [DONE] (some servers): flush what is left, scanned
      if (!anthropic && !refused && buf.trim() === "")
        for (const g of guards.values()) {
          const rest = g.flush();
          if (rest && !checkRefuse())
            emitOpenAi({
              object: "chat.completion.chunk",
              choices: [{ index: 0, delta: { content: rest }, finish_reason: null }],
            });
        }
    } catch (err) {
      status = 502;
      rec.decision = "error";
      const timeout = (err as Error).name === "TimeoutError";
      const e = new ProxyError(
        502,
        "upstream_error",
        timeout ? "the upstream stream timed out" : "the upstream stream failed",
        "upstream_error",
      );
      out.write(
        anthropic
          ? `event: error\ndata: ${JSON.stringify(errorBody(true, e))}\n\n`
          : `data: ${JSON.stringify(errorBody(false, e))}\n\n`,
      );
    }
    const all = [...guards.values()];
    const findings = all.flatMap((g) => g.findings);
    const late = all.reduce((a, g) => a + g.late, 0);
    rec.completion = {
      sha256: sha256(all.map((g) => g.received).join("\n\u0000\n")),
      findings: countBy(findings),
      ...(late ? { late } : {}),
    };
    if (usage.inputTokens !== undefined || usage.outputTokens !== undefined)
      rec.usage = { ...usage, totalTokens: usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0) };
    limits.spend(rec.caller, rec.usage?.totalTokens ?? Math.ceil(all.reduce((a, g) => a + g.received.length, 0) / 4));
    try {
      await finish(refused ? 403 : status);
    } finally {
      out.end();
    }
    void req;
  };

  // `/v1/...`, and `/business/v1/...`, `/clinical/v1/...`: a base URL that raises (never lowers) the classification.
  for (const routeClass of [undefined, "business", "clinical"] as const) {
    const prefix = routeClass ? `/${routeClass}` : "";
    if (routeClass)
      app.get(`${prefix}/v1/models`, { config: cfg, schema: { hide: true } }, async () => ({
        object: "list",
        data: listModels(o.config).map((m) => ({ id: m.id, object: "model", created: 0, owned_by: m.owned_by })),
      }));
    app.post(`${prefix}/v1/chat/completions`, { config: callCfg, schema: { hide: true } }, (req, reply) =>
      handle("chat/completions", routeClass, req, reply),
    );
    app.post(`${prefix}/v1/embeddings`, { config: callCfg, schema: { hide: true } }, (req, reply) =>
      handle("embeddings", routeClass, req, reply),
    );
    app.post(`${prefix}/v1/messages`, { config: callCfg, schema: { hide: true } }, (req, reply) =>
      handle("messages", routeClass, req, reply),
    );
  }
};

const EMPTY_SHA256 = sha256("");

/** Fields of a reply message or block that are structural or opaque, never free text. */
const MESSAGE_KEEP = new Set(["role", "id", "type", "name", "tool_call_id"]);
const BLOCK_KEEP = new Set(["type", "id", "name", "signature", "data"]);

/** OpenAI (prompt_tokens...) or Anthropic (input_tokens...) usage, normalised. */
function usageOf(answer: Json): ProxyCallRecord["usage"] {
  const u = answer.usage;
  if (!isObj(u)) return undefined;
  const n = (k: string) => (typeof u[k] === "number" ? (u[k] as number) : undefined);
  const inputTokens = n("prompt_tokens") ?? n("input_tokens");
  const outputTokens = n("completion_tokens") ?? n("output_tokens");
  const totalTokens =
    n("total_tokens") ??
    (inputTokens !== undefined || outputTokens !== undefined ? (inputTokens ?? 0) + (outputTokens ?? 0) : undefined);
  return { inputTokens, outputTokens, totalTokens };
}
