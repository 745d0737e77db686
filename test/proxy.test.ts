/**
 * The LLM safety proxy with the official `openai` and `@anthropic-ai/sdk` clients pointed at it,
 * against a fake upstream on 127.0.0.1 port 0 that records every request it receives. Real
 * sockets, real ledger, real tokens; the CLI's commit generator runs through it as a real process.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import type { FastifyInstance } from "fastify";
import { openLedger } from "../src/audit/index.js";
import type { AuditLedger } from "../src/audit/ledger.js";
import { ProxyConfig } from "../src/config/schema.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { scanText } from "../src/phi/index.js";
import {
  StreamGuard,
  filterReply,
  resolveRoute,
  CallerLimits,
  proxyLedgerEntry,
  sha256,
  type ProxyCallRecord,
} from "../src/proxy/index.js";
import { createHash } from "node:crypto";
import { makeRepo, makeTempDir, runCli, type TempRepo } from "./helpers/repo.js";
import { proxyDepsFrom } from "../src/cli/commands/proxy.js";
import { DEFAULT_CONFIG } from "../src/config/defaults.js";
import { openServiceStores, type ServiceStores } from "../src/server/stores.js";
import { probePg } from "./helpers/pg.js";

// Planted values: none may reach the upstream (unless allowed) or the ledger.
const NAME = "Marguerite Okonkwo-Villanueva";
const SSN = "512-84-3921";
const EMAIL = "jane.doe@gmail.com";
const PHONE = "617-373-0142";
const IP = "93.184.216.34";
const SECRET = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
const MADE_SSN = "536-22-8147";
const PLANTED = [NAME, "Okonkwo", SSN, EMAIL, PHONE, IP, SECRET, MADE_SSN];

interface Received {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** What the fake upstream answers: text for JSON replies, chunks for streams. */
let answer: { text: string; chunks?: string[]; status?: number; error?: string; field?: string } = { text: "ok" };

function fakeUpstream(received: Received[]): Server {
  return createServer((req, res) => {
    let data = "";
    req.on("data", (c: Buffer) => (data += c.toString("utf8")));
    req.on("end", () => {
      const body = JSON.parse(data) as Record<string, unknown>;
      received.push({ url: req.url ?? "", headers: req.headers, body });
      if (answer.status) {
        res.writeHead(answer.status, { "content-type": "application/json" });
        return res.end(JSON.stringify({ error: { message: answer.error ?? "boom", type: "server_error" } }));
      }
      const model = `${String(body.model)}-2024-08-06`;
      if (req.url === "/v1/embeddings") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(
          JSON.stringify({
            object: "list",
            model,
            data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }],
            usage: { prompt_tokens: 5, total_tokens: 5 },
          }),
        );
      }
      const chunks = answer.chunks ?? [answer.text];
      if (req.url === "/v1/messages") {
        if (body.stream !== true) {
          res.writeHead(200, { "content-type": "application/json" });
          return res.end(
            JSON.stringify({
              id: "msg_1",
              type: "message",
              role: "assistant",
              model,
              content: [{ type: "text", text: answer.text }],
              stop_reason: "end_turn",
              stop_sequence: null,
              usage: { input_tokens: 11, output_tokens: 7 },
            }),
          );
        }
        res.writeHead(200, { "content-type": "text/event-stream" });
        const ev = (t: string, d: unknown) => res.write(`event: ${t}\ndata: ${JSON.stringify(d)}\n\n`);
        ev("message_start", {
          type: "message_start",
          message: {
            id: "msg_1",
            type: "message",
            role: "assistant",
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 11, output_tokens: 0 },
          },
        });
        ev("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
        for (const c of chunks)
          ev("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: c } });
        ev("content_block_stop", { type: "content_block_stop", index: 0 });
        ev("message_delta", {
          type: "message_delta",
          delta: { stop_reason: "end_turn", stop_sequence: null },
          usage: { output_tokens: 7 },
        });
        ev("message_stop", { type: "message_stop" });
        return res.end();
      }
      if (body.stream !== true) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(
          JSON.stringify({
            id: "chatcmpl-1",
            object: "chat.completion",
            created: 1,
            model,
            choices: [
              {
                index: 0,
                message: { role: "assistant", [answer.field ?? "content"]: answer.text },
                finish_reason: "stop",
              },
            ],
            usage: { prompt_tokens: 40, completion_tokens: 9, total_tokens: 49 },
          }),
        );
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = (delta: unknown, finish: string | null) =>
        `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: "assistant", content: "" }, null));
      // each chunk its own write, flushed separately: the proxy sees them arrive apart
      let i = 0;
      const next = () => {
        if (i < chunks.length) {
          res.write(chunk({ [answer.field ?? "content"]: chunks[i++] }, null));
          setTimeout(next, 5);
          return;
        }
        res.write(chunk({}, "stop"));
        res.end("data: [DONE]\n\n");
      };
      next();
    });
  });
}

async function listen(s: Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

function runCliAsync(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = join(__dirname, "..", "dist", "cli.js");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("LLM safety proxy", () => {
  const dir = makeTempDir("gh-proxy-");
  const received: Received[] = [];
  let upstream: Server;
  let upstreamURL: string;
  let ledger: AuditLedger;
  let app: FastifyInstance;
  let sandboxApp: FastifyInstance;
  let base: string;
  let sandboxBase: string;
  const tokens: Record<string, string> = {};

  const openai = (token: string, extra: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
    new OpenAI({ apiKey: token, baseURL: `${base}/v1`, maxRetries: 0, ...extra });
  const entries = async () => {
    const out: { seq: number; actor: string; subject?: string; payload: Record<string, unknown> }[] = [];
    for await (const e of ledger.query({ type: "llm.proxy" })) out.push(e as never);
    return out;
  };
  const last = async () => (await entries()).at(-1)!;
  const sentText = (r: Received) => JSON.stringify(r.body);

  beforeAll(async () => {
    upstream = fakeUpstream(received);
    upstreamURL = await listen(upstream);
    ledger = await openLedger(join(dir, "ledger"));
    const store = new FileTokenStore(join(dir, "tokens.json"));
    for (const [name, scopes] of Object.entries({
      dev: ["llm"],
      restorer: ["llm", "phi:restore"],
      clinician: ["llm"],
      clinician2: ["llm", "phi:restore"],
      scanner: ["scan"],
    } as const)) {
      tokens[name] = (await createToken(store, { name, scopes: [...scopes] })).token;
    }
    const config = ProxyConfig.parse({
      upstreams: [
        { name: "fake", type: "openai-compatible", baseURL: `${upstreamURL}/v1`, models: ["gpt-test", "gpt-test-*"] },
        { name: "baa", type: "openai-compatible", baseURL: `${upstreamURL}/v1`, models: ["baa-model"], approved: true },
        {
          name: "claude",
          type: "anthropic",
          baseURL: `${upstreamURL}/v1`,
          apiKeyEnv: "FAKE_ANTHROPIC_KEY",
          models: ["claude-test"],
        },
      ],
      aliases: { "team-default": "fake:gpt-test-2024-08-06" },
      tokenClassification: { clinician: "clinical", clinician2: "clinical" },
      identifiers: { "ip-address": "block" },
      allowList: ["Acme Clinic"],
      templates: { "discharge-summary": ["1.0.0", "1.1.0"] },
      headerClassification: true,
    });
    app = await buildApp({
      ledger,
      tokens: store,
      digestKey: "k",
      logStream: false,
      proxy: { config, defaultClassification: "business", keys: { claude: "upstream-secret-key" }, sandbox: false },
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    sandboxApp = await buildApp({
      ledger,
      tokens: store,
      digestKey: "k",
      logStream: false,
      proxy: {
        config: { ...config, requestsPerMinute: 3 },
        defaultClassification: "business",
        keys: {},
        sandbox: true,
      },
    });
    sandboxBase = await sandboxApp.listen({ host: "127.0.0.1", port: 0 });
  });

  afterAll(async () => {
    await app?.close();
    await sandboxApp?.close();
    await ledger?.close();
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  it("business: no planted identifier reaches the upstream from messages, system prompt, tool-call arguments or other fields", async () => {
    answer = { text: "Noted: [NAME_1] with [SSN_1]." };
    const before = received.length;
    const r = await openai(tokens.dev!).chat.completions.create({
      model: "gpt-test",
      messages: [
        { role: "system", content: `You help ${NAME}'s care team.` },
        { role: "user", content: `Summarize: ${NAME}, SSN ${SSN}, email ${EMAIL}, phone ${PHONE}.` },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "call_1",
              type: "function",
              function: { name: "lookup", arguments: JSON.stringify({ ssn: SSN, note: `call ${PHONE}` }) },
            },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: `found ${EMAIL}` },
      ],
      // free text outside the messages is scanned too
      user: EMAIL,
      tools: [
        {
          type: "function",
          function: {
            name: "lookup",
            description: `Look up records like ${NAME}'s`,
            parameters: { type: "object", properties: { ssn: { type: "string" } } },
          },
        },
      ],
    });
    expect(received.length).toBe(before + 1);
    const got = received.at(-1)!;
    expect(got.url).toBe("/v1/chat/completions");
    for (const v of PLANTED) expect(sentText(got)).not.toContain(v);
    expect(sentText(got)).toContain("[NAME_1]");
    expect(sentText(got)).toContain("[SSN_1]");
    // the same value gets the same placeholder in every message, and tool arguments stay JSON
    const tool = (got.body.messages as { tool_calls?: { function: { arguments: string } }[] }[])[2]!.tool_calls![0]!
      .function.arguments;
    expect(JSON.parse(tool)).toEqual({ ssn: "[SSN_1]", note: "call [PHONE_1]" });
    // no restore without the scope: the caller sees placeholders
    expect(r.choices[0]!.message.content).toBe("Noted: [NAME_1] with [SSN_1].");
    // the proxy's own token never goes upstream
    expect(JSON.stringify(got.headers)).not.toContain(tokens.dev!);
    const e = await last();
    expect(e.payload).toMatchObject({
      classification: "business",
      mode: "live",
      upstream: "fake",
      decision: "ok",
      model: { requested: "gpt-test", resolved: "gpt-test", reported: "gpt-test-2024-08-06" },
      usage: { inputTokens: 40, outputTokens: 9, totalTokens: 49 },
    });
    expect((e.payload.prompt as { masked: Record<string, number> }).masked).toEqual({
      name: 3,
      ssn: 2,
      email: 3,
      phone: 2,
    });
    expect(got.body.user).toBe("[EMAIL_1]");
  });

  it("restores placeholders only for a caller with scope phi:restore", async () => {
    answer = { text: "Noted: [NAME_1] with [SSN_1]." };
    const msg = { role: "user" as const, content: `Patient ${NAME}, SSN ${SSN}.` };
    const plain = await openai(tokens.dev!).chat.completions.create({ model: "gpt-test", messages: [msg] });
    expect(plain.choices[0]!.message.content).toBe("Noted: [NAME_1] with [SSN_1].");
    const restored = await openai(tokens.restorer!).chat.completions.create({ model: "gpt-test", messages: [msg] });
    expect(restored.choices[0]!.message.content).toBe(`Noted: ${NAME} with ${SSN}.`);
    expect(sentText(received.at(-1)!)).not.toContain(SSN);
    expect((await last()).payload.restored).toBe(true);
  });

  it("an unstreamed answer is scanned: PHI the model produced is masked", async () => {
    answer = { text: `The record of patient ${MADE_SSN} belongs to Mr. Jonathan Whitaker.` };
    const r = await openai(tokens.restorer!).chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "who owns the record?" }],
    });
    const text = r.choices[0]!.message.content!;
    expect(text).not.toContain(MADE_SSN);
    expect(text).not.toContain("Whitaker");
    expect(text).toContain("[REDACTED_SSN]");
    const e = await last();
    expect((e.payload.completion as { findings: Record<string, number> }).findings).toMatchObject({ ssn: 1, name: 1 });
  });

  it("a streamed answer is scanned, and a name split across two SSE chunks is caught", async () => {
    answer = {
      text: "",
      chunks: [
        "Findings for Patient Marguerite Okon",
        "kwo-Villanueva: stable. ",
        `Her SSN is 536-22-`,
        "8147 and ",
        "she restores as [NAME_1].",
      ],
    };
    const stream = await openai(tokens.restorer!).chat.completions.create({
      model: "gpt-test",
      stream: true,
      messages: [{ role: "user", content: `Patient ${NAME} follow-up` }],
    });
    let text = "";
    let finish: string | null = null;
    const pieces: string[] = [];
    for await (const c of stream) {
      const d = c.choices[0]?.delta?.content;
      if (d) {
        text += d;
        pieces.push(d);
      }
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("stop");
    expect(pieces.length).toBeGreaterThan(1);
    // the name the model wrote itself across two chunks: masked; the prompt's own name, restored for this caller
    expect(text).toContain("Findings for Patient [REDACTED_NAME]: stable.");
    expect(text).not.toContain(MADE_SSN);
    expect(text).not.toContain("536-22-");
    expect(text).toContain(`restores as ${NAME}.`);
    const e = await last();
    expect(e.payload).toMatchObject({ stream: true, decision: "ok", status: 200 });
    expect((e.payload.completion as { findings: Record<string, number> }).findings).toMatchObject({ name: 1, ssn: 1 });
  });

  it("other text fields of the answer (reasoning_content, refusal) are scanned too, streamed or not", async () => {
    answer = {
      text: "",
      field: "reasoning_content",
      chunks: ["Thinking about Patient Marguerite Okon", "kwo-Villanueva and 536-22-", "8147 now. ", "Done."],
    };
    const stream = await openai(tokens.dev!).chat.completions.create({
      model: "gpt-test",
      stream: true,
      messages: [{ role: "user", content: "think" }],
    });
    let reasoning = "";
    for await (const c of stream)
      reasoning += (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? "";
    expect(reasoning).toBe("Thinking about Patient [REDACTED_NAME] and [REDACTED_SSN] now. Done.");
    answer = { text: `I cannot discuss ${MADE_SSN}.`, field: "refusal" };
    const r = await openai(tokens.dev!).chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "x" }],
    });
    expect(r.choices[0]!.message.refusal).toBe("I cannot discuss [REDACTED_SSN].");
    answer = { text: "ok" };
  });

  it("no chunk is released before it is scanned: every split of a reply masks the name (StreamGuard)", () => {
    const reply = "The visit went well. Patient Marguerite Okonkwo-Villanueva was discharged home on foot.";
    const scan = (t: string) => scanText(t, { profile: "prose" });
    const whole = filterReply(reply, scan, { passed: new Set(), allow: new Set() }).text;
    expect(whole).not.toContain("Okonkwo");
    for (let cut = 1; cut < reply.length; cut++) {
      const g = new StreamGuard(scan, { passed: new Set(), allow: new Set() }, 64);
      const out = g.push(reply.slice(0, cut)) + g.push(reply.slice(cut)) + g.flush();
      expect(out, `split at ${cut}`).not.toMatch(/Marguerite|Okonkwo|Villanueva/);
    }
    // and token by token (4 characters at a time)
    const g = new StreamGuard(scan, { passed: new Set(), allow: new Set() }, 64);
    let out = "";
    for (let i = 0; i < reply.length; i += 4) out += g.push(reply.slice(i, i + 4));
    out += g.flush();
    expect(out).toBe(whole);
  });

  it("Anthropic SDK on /v1/messages: redacted upstream request, scanned JSON and streamed replies", async () => {
    const client = new Anthropic({ authToken: tokens.dev!, apiKey: null, baseURL: base, maxRetries: 0 });
    answer = { text: `Summary for [NAME_1]; also ${MADE_SSN}.` };
    const before = received.length;
    const m = await client.messages.create({
      model: "claude-test",
      max_tokens: 100,
      system: `Care team of ${NAME}`,
      messages: [{ role: "user", content: `Patient ${NAME}, SSN ${SSN}, mail ${EMAIL}` }],
    });
    expect(received.length).toBe(before + 1);
    const got = received.at(-1)!;
    expect(got.url).toBe("/v1/messages");
    for (const v of PLANTED) expect(sentText(got)).not.toContain(v);
    expect(got.headers["x-api-key"]).toBe("upstream-secret-key");
    const block = m.content[0]!;
    expect(block.type === "text" && block.text).toBe("Summary for [NAME_1]; also [REDACTED_SSN].");

    answer = { text: "", chunks: ["Seen: Mr. Jonathan Whit", "aker today. ", "Fine."] };
    const stream = client.messages.stream({
      model: "claude-test",
      max_tokens: 100,
      messages: [{ role: "user", content: `About ${SSN}` }],
    });
    const final = await stream.finalMessage();
    const t = final.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    expect(t).toBe("Seen: Mr. [REDACTED_NAME] today. Fine.");
    expect(sentText(received.at(-1)!)).not.toContain(SSN);
    expect(await last()).toMatchObject({
      payload: {
        stream: true,
        upstream: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        usage: { inputTokens: 11, outputTokens: 7 },
      },
    });
  });

  it("embeddings are redacted; models lists names and aliases; aliases pin the upstream model", async () => {
    const before = received.length;
    const e = await openai(tokens.dev!).embeddings.create({
      model: "gpt-test",
      input: [`note on ${NAME}`, `ssn ${SSN}`],
    });
    expect(e.data).toHaveLength(1);
    expect(received.length).toBe(before + 1);
    expect(received.at(-1)!.body.input).toEqual(["note on [NAME_1]", "ssn [SSN_1]"]);
    const models = await openai(tokens.dev!).models.list();
    const ids = models.data.map((x) => x.id);
    expect(ids).toEqual(expect.arrayContaining(["gpt-test", "baa-model", "claude-test", "team-default"]));
    answer = { text: "hi" };
    await openai(tokens.dev!).chat.completions.create({
      model: "team-default",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(received.at(-1)!.body.model).toBe("gpt-test-2024-08-06");
    expect((await last()).payload.model).toMatchObject({ requested: "team-default", resolved: "gpt-test-2024-08-06" });
  });

  it("refused calls give the documented OpenAI-style errors, never echoing the value, and nothing goes upstream", async () => {
    const before = received.length;
    const refused = async (p: Promise<unknown>) => {
      const err = (await p.catch((x: unknown) => x)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.APIError);
      return err;
    };
    // secrets: always blocked, whatever the classification
    let err = await refused(
      openai(tokens.dev!).chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: `deploy with ${SECRET}` }],
      }),
    );
    expect(err.status).toBe(403);
    expect(err.code).toBe("content_blocked");
    expect(err.message).toContain("refused by rule secret");
    expect(err.message).not.toContain(SECRET);
    expect((await last()).payload).toMatchObject({ decision: "refused", rule: "secret", status: 403 });
    // a class configured to block
    err = await refused(
      openai(tokens.dev!).chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: `login from ${IP}` }],
      }),
    );
    expect(err.status).toBe(403);
    expect(err.message).toContain("refused by rule identifiers.ip-address");
    expect(err.message).not.toContain(IP);
    // clinical (from the token) refuses an upstream not on the approved list
    err = await refused(
      openai(tokens.clinician!).chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: "hello" }],
      }),
    );
    expect(err.status).toBe(403);
    expect(err.code).toBe("upstream_not_approved");
    expect(err.message).toContain("clinical.approvedUpstreams");
    // the header may raise the classification, never lower it
    err = await refused(
      openai(tokens.dev!).chat.completions.create(
        { model: "gpt-test", messages: [{ role: "user", content: "hello" }] },
        { headers: { "x-gitops-health-classification": "clinical" } },
      ),
    );
    expect(err.code).toBe("upstream_not_approved");
    // ...and never lower it
    err = await refused(
      openai(tokens.clinician!).chat.completions.create(
        { model: "gpt-test", messages: [{ role: "user", content: "hello" }] },
        { headers: { "x-gitops-health-classification": "personal" } },
      ),
    );
    expect(err.code).toBe("upstream_not_approved");
    // so may the route: a /clinical base URL
    err = await refused(
      openai(tokens.dev!, { baseURL: `${base}/clinical/v1` }).chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: "hello" }],
      }),
    );
    expect(err.code).toBe("upstream_not_approved");
    expect((await last()).subject).toBe("POST /clinical/v1/chat/completions");
    // the repository label a caller sends is recorded for the dashboard's per-repository views; a bad one is refused
    err = await refused(
      openai(tokens.dev!).chat.completions.create(
        { model: "gpt-test", messages: [{ role: "user", content: "hello" }] },
        { headers: { "x-gitops-health-classification": "clinical", "x-gitops-health-repo": "acme/web" } },
      ),
    );
    expect(err.code).toBe("upstream_not_approved");
    expect((await last()).payload.repo).toBe("acme/web");
    const entriesBefore = (await entries()).length;
    err = await refused(
      openai(tokens.dev!).chat.completions.create(
        { model: "gpt-test", messages: [{ role: "user", content: "hello" }] },
        { headers: { "x-gitops-health-repo": "../etc passwd" } },
      ),
    );
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_repo_label");
    expect((await entries()).length).toBe(entriesBefore);
    // unknown model, unknown prompt template, wrong scope, no token
    err = await refused(
      openai(tokens.dev!).chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] }),
    );
    expect([err.status, err.code]).toEqual([404, "model_not_found"]);
    err = await refused(
      openai(tokens.dev!).chat.completions.create(
        { model: "gpt-test", messages: [{ role: "user", content: "x" }] },
        { headers: { "x-gitops-health-prompt-template": "discharge-summary@9" } },
      ),
    );
    expect([err.status, err.code]).toEqual([400, "unknown_prompt_template"]);
    err = await refused(
      openai(tokens.scanner!).chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect([err.status, err.code]).toEqual([403, "insufficient_scope"]);
    err = await refused(
      openai("ghst_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(err.status).toBe(401);
    // Anthropic clients get Anthropic-shaped errors
    const claude = new Anthropic({ authToken: tokens.dev!, apiKey: null, baseURL: base, maxRetries: 0 });
    const aerr = (await claude.messages
      .create({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: `key ${SECRET}` }] })
      .catch((x: unknown) => x)) as InstanceType<typeof Anthropic.APIError>;
    expect(aerr).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(aerr.message).toContain("refused by rule secret");
    expect(received.length).toBe(before);
  });

  it("clinical: an approved upstream is used, placeholders stay unless restored, template versions are recorded", async () => {
    answer = { text: "Plan for [NAME_1]." };
    const r = await openai(tokens.clinician!).chat.completions.create(
      { model: "baa-model", messages: [{ role: "user", content: `Discharge ${NAME}, SSN ${SSN}` }] },
      { headers: { "x-gitops-health-prompt-template": "discharge-summary@1.1.0" } },
    );
    expect(r.choices[0]!.message.content).toBe("Plan for [NAME_1].");
    for (const v of PLANTED) expect(sentText(received.at(-1)!)).not.toContain(v);
    expect((await last()).payload).toMatchObject({
      classification: "clinical",
      upstream: "baa",
      template: { name: "discharge-summary", version: "1.1.0" },
    });
  });

  it("upstream errors come back as OpenAI-style errors", async () => {
    answer = { text: "", status: 500, error: "model overloaded" };
    const err = (await openai(tokens.dev!)
      .chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "x" }] })
      .catch((x: unknown) => x)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(502);
    expect(err.code).toBe("upstream_error");
    expect(err.message).toContain("model overloaded");
    expect((await last()).payload).toMatchObject({ decision: "error", status: 502 });
    // the upstream refusing the proxy's own key is not the caller's 401
    answer = { text: "", status: 401, error: "invalid api key" };
    const e401 = (await openai(tokens.dev!)
      .chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "x" }] })
      .catch((x: unknown) => x)) as InstanceType<typeof OpenAI.APIError>;
    expect(e401.status).toBe(502);
    // a request error of the caller's keeps its status
    answer = { text: "", status: 400, error: "max_tokens is too large" };
    const e400 = (await openai(tokens.dev!)
      .chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "x" }] })
      .catch((x: unknown) => x)) as InstanceType<typeof OpenAI.APIError>;
    expect([e400.status, e400.message]).toEqual([400, expect.stringContaining("max_tokens is too large")]);
    answer = { text: "ok" };
  });

  it("sandbox: a deterministic mock answers with what it received after redaction; mode recorded; per-token rate limit", async () => {
    const before = received.length;
    const client = new OpenAI({ apiKey: tokens.dev!, baseURL: `${sandboxBase}/v1`, maxRetries: 0 });
    const r = await client.chat.completions.create({
      model: "gpt-test",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: `Patient ${NAME}, SSN ${SSN}` },
      ],
    });
    expect(r.choices[0]!.message.content).toBe("system: be brief\nuser: Patient [NAME_1], SSN [SSN_1]");
    const again = await client.chat.completions.create({
      model: "gpt-test",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: `Patient ${NAME}, SSN ${SSN}` },
      ],
    });
    expect(again.choices[0]!.message.content).toBe(r.choices[0]!.message.content);
    const stream = await client.chat.completions.create({
      model: "gpt-test",
      stream: true,
      messages: [{ role: "user", content: `SSN ${SSN}` }],
    });
    let text = "";
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
    expect(text).toBe("user: SSN [SSN_1]");
    expect(received.length).toBe(before);
    expect((await last()).payload).toMatchObject({ mode: "sandbox" });
    // the fourth call in a minute: requestsPerMinute 3
    const err = (await client.chat.completions
      .create({ model: "gpt-test", messages: [{ role: "user", content: "x" }] })
      .catch((x: unknown) => x)) as InstanceType<typeof OpenAI.APIError>;
    expect([err.status, err.code]).toEqual([429, "rate_limit_exceeded"]);
    expect((await last()).payload).toMatchObject({ decision: "limited", rule: "requestsPerMinute" });
  });

  it("ledger entries hold digests and counts, never a planted value, header or key", async () => {
    const all = await entries();
    expect(all.length).toBeGreaterThan(10);
    for (const e of all) {
      expect(e.actor).toMatch(/^token:/);
      expect(e.payload.prompt).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(typeof e.payload.latencyMs).toBe("number");
    }
    const raw = readFileSync(join(dir, "ledger", "entries.log"), "utf8");
    for (const v of [
      ...PLANTED,
      "Whitaker",
      tokens.dev!,
      tokens.restorer!,
      "upstream-secret-key",
      "Summarize",
      "Discharge",
    ])
      expect(raw).not.toContain(v);
  });

  describe("the CLI's own commit generator through the proxy", () => {
    let repo: TempRepo;
    afterEach(() => repo?.cleanup());
    it("commit generate --provider openai-compatible with the proxy as base URL", async () => {
      repo = makeRepo();
      repo.commit("chore: init", { "src/patients/lookup.ts": "export function find(id: string) {\n  return id;\n}\n" });
      repo.write(
        "src/patients/lookup.ts",
        `export function find(id: string) {\n  if (!id) return null; // seen with ${SSN}\n  return id;\n}\n`,
      );
      repo.git("add", "-A");
      answer = {
        text: JSON.stringify({
          candidates: [
            { type: "fix", scope: "patients", subject: "guard empty ids in find", body: ["Return null early."] },
          ],
        }),
      };
      const before = received.length;
      const n = (await entries()).length;
      const res = await runCliAsync(["commit", "generate", "--format", "json"], repo.dir, {
        GITOPS_HEALTH_LLM_PROVIDER: "openai-compatible",
        GITOPS_HEALTH_LLM_MODEL: "gpt-test",
        GITOPS_HEALTH_LLM_BASE_URL: `${base}/v1`,
        GITOPS_HEALTH_LLM_API_KEY: tokens.dev!,
      });
      expect(res.stderr).not.toContain("Error");
      expect(res.code).toBe(0);
      expect(received.length).toBe(before + 1);
      expect(sentText(received.at(-1)!)).not.toContain(SSN);
      const c = (JSON.parse(res.stdout) as { candidates: { text: string; valid: boolean }[] }).candidates[0]!;
      expect(c.valid).toBe(true);
      expect(c.text.split("\n")[0]).toBe("fix(patients): guard empty ids in find");
      const after = await entries();
      expect(after.length).toBe(n + 1);
      expect(after.at(-1)!.payload).toMatchObject({ decision: "ok", upstream: "fake" });
    });
  });
});

describe("gitops-health proxy as a real process", () => {
  it("--sandbox: an openai client gets the redacted echo; the call is in the ledger", async () => {
    const dir = makeTempDir("gh-proxy-cli-");
    const ledgerDir = join(dir, "ledger");
    const created = runCli(["token", "create", "--name", "laptop", "--scope", "llm", "--ledger", ledgerDir], {
      cwd: dir,
    });
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    const cfg = join(dir, "proxy.yml");
    writeFileSync(
      cfg,
      "classification: business\nproxy:\n  upstreams:\n    - { name: local, type: openai-compatible, baseURL: 'http://127.0.0.1:9/v1', models: ['llama*'] }\n",
    );
    const child = spawn(
      process.execPath,
      [
        join(__dirname, "..", "dist", "cli.js"),
        "--config",
        cfg,
        "proxy",
        "--sandbox",
        "--port",
        "0",
        "--ledger",
        ledgerDir,
      ],
      { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let err = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on("data", (d: Buffer) => {
          err += d.toString("utf8");
          const m = /LLM proxy on (http:\/\/\S+)\/v1/.exec(err);
          if (m) resolve(m[1]!);
        });
        child.on("exit", () => reject(new Error(`proxy exited: ${err}`)));
      });
      expect(err).toContain("sandbox");
      const client = new OpenAI({ apiKey: token, baseURL: `${url}/v1`, maxRetries: 0 });
      const r = await client.chat.completions.create({
        model: "llama3",
        messages: [{ role: "user", content: `Patient ${NAME}, SSN ${SSN}` }],
      });
      expect(r.choices[0]!.message.content).toBe("user: Patient [NAME_1], SSN [SSN_1]");
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.on("close", r));
    }
    const raw = readFileSync(join(ledgerDir, "entries.log"), "utf8");
    expect(raw).toContain('"llm.proxy"');
    expect(raw).toContain('"mode":"sandbox"');
    expect(raw).not.toContain(SSN);
  });

  it("sandbox from GITOPS_HEALTH_SANDBOX; keys from each upstream's variable; a missing key is a warning naming the variable only", () => {
    const config = {
      ...DEFAULT_CONFIG,
      proxy: ProxyConfig.parse({
        upstreams: [
          { name: "oa", type: "openai", models: ["gpt-4o"] },
          { name: "an", type: "anthropic", apiKeyEnv: "MY_ANTHROPIC", models: ["claude-3"] },
        ],
      }),
    };
    const r = proxyDepsFrom(config, {}, { OPENAI_API_KEY: "sk-live-1" });
    expect(r.deps.sandbox).toBe(false);
    expect(r.deps.keys).toEqual({ oa: "sk-live-1" });
    expect(r.warnings).toEqual(["proxy upstream an: no API key in MY_ANTHROPIC"]);
    expect(proxyDepsFrom(config, {}, { GITOPS_HEALTH_SANDBOX: "1" }).deps.sandbox).toBe(true);
    expect(proxyDepsFrom(config, { sandbox: true }, {}).warnings).toEqual([]);
  });
});

describe("proxy domain", () => {
  it("routes by model name, prefix and alias", () => {
    const cfg = ProxyConfig.parse({
      upstreams: [
        { name: "a", type: "openai", models: ["gpt-4o*"] },
        { name: "b", type: "anthropic", models: ["claude-3"] },
      ],
      aliases: { fast: "gpt-4o-mini", pinned: "b:claude-3-5-sonnet-20241022" },
    });
    expect(resolveRoute(cfg, "gpt-4o-2024-08-06")).toMatchObject({
      ok: true,
      route: { upstream: { name: "a" }, model: "gpt-4o-2024-08-06" },
    });
    expect(resolveRoute(cfg, "fast")).toMatchObject({
      ok: true,
      route: { upstream: { name: "a" }, model: "gpt-4o-mini", alias: "fast" },
    });
    expect(resolveRoute(cfg, "pinned")).toMatchObject({
      ok: true,
      route: { upstream: { name: "b" }, model: "claude-3-5-sonnet-20241022" },
    });
    expect(resolveRoute(cfg, "llama")).toMatchObject({ ok: false });
  });

  it("the ledger entry is the record as JSON gives it back (no undefined member), its own copy; digests are SHA-256", () => {
    const rec: ProxyCallRecord = {
      caller: "token:a#00ff",
      route: "POST /v1/chat/completions",
      classification: "business",
      mode: "live",
      upstream: "fake",
      model: { requested: "fast", resolved: "fast", reported: undefined },
      stream: false,
      decision: "ok",
      status: 200,
      latencyMs: 4,
      prompt: { sha256: sha256("p"), findings: { name: 2 }, masked: { name: 2 }, allowed: {}, blocked: {} },
      usage: { inputTokens: 10, outputTokens: undefined, totalTokens: 10 },
      completion: { sha256: sha256(""), findings: {} },
      rule: undefined,
    };
    const e = proxyLedgerEntry(rec);
    expect(e).toEqual({
      type: "llm.proxy",
      actor: rec.caller,
      subject: rec.route,
      payload: JSON.parse(JSON.stringify({ ...rec, caller: undefined, route: undefined })) as unknown,
    });
    const payload = e.payload as { model: object; prompt: { findings: { name: number } } };
    expect(Object.keys(payload.model)).toEqual(["requested", "resolved"]);
    expect("rule" in payload).toBe(false);
    rec.prompt.findings.name = 99;
    expect(payload.prompt.findings.name).toBe(2);
    for (const t of ["", "é ✓ 𝄞", "x".repeat(5000)])
      expect(sha256(t)).toBe(createHash("sha256").update(t, "utf8").digest("hex"));
  });

  it("limits requests per minute and tokens per day per caller", () => {
    let t = Date.UTC(2026, 0, 1, 12);
    const l = new CallerLimits(2, 100, () => t);
    expect(l.admit("a")).toBeUndefined();
    expect(l.admit("a")).toBeUndefined();
    expect(l.admit("a")?.rule).toBe("requestsPerMinute");
    expect(l.admit("b")).toBeUndefined();
    t += 61_000;
    l.spend("a", 150);
    expect(l.admit("a")?.rule).toBe("tokensPerDay");
    t += 86_400_000;
    expect(l.admit("a")).toBeUndefined();
  });
});

const { url: PG, skipReason: pgSkip } = await probePg("LLM proxy on PostgreSQL");

describe.skipIf(!!pgSkip)(`LLM proxy on PostgreSQL${pgSkip ? ` (skipped: ${pgSkip})` : ""}`, () => {
  const prefix = `proxy${process.pid}_${Date.now() % 100000}_`;
  let stores: ServiceStores | undefined;
  let app: FastifyInstance | undefined;
  afterAll(async () => {
    await app?.close();
    await stores?.close();
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: PG });
    await c.connect();
    await c.query(
      `DROP TABLE IF EXISTS ${prefix}entries, ${prefix}checkpoints, ${prefix}once, ${prefix}tokens, ${prefix}schema_migrations CASCADE`,
    );
    await c.query(`DROP FUNCTION IF EXISTS ${prefix}append_only() CASCADE`);
    await c.end();
  });

  it("tokens with scopes llm and phi:restore in the database; each call one llm.proxy entry in the shared ledger", async () => {
    stores = await openServiceStores({
      databaseUrl: `${PG}${PG!.includes("?") ? "&" : "?"}table_prefix=${prefix}`,
      migrate: true,
    });
    const { token } = await createToken(stores.tokens, { name: "pg-dev", scopes: ["llm", "phi:restore"] });
    const config = ProxyConfig.parse({
      upstreams: [{ name: "local", type: "openai-compatible", baseURL: "http://127.0.0.1:9/v1", models: ["llama3"] }],
    });
    app = await buildApp({
      ledger: stores.ledger,
      tokens: stores.tokens,
      digestKey: "k",
      logStream: false,
      proxy: { config, defaultClassification: "business", keys: {}, sandbox: true },
    });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    const client = new OpenAI({ apiKey: token, baseURL: `${base}/v1`, maxRetries: 0 });
    const r = await client.chat.completions.create({
      model: "llama3",
      messages: [{ role: "user", content: `Patient ${NAME}, SSN ${SSN}` }],
    });
    // the sandbox echoes the redacted prompt; this caller may restore
    expect(r.choices[0]!.message.content).toBe(`user: Patient ${NAME}, SSN ${SSN}`);
    const found = [];
    for await (const e of stores.ledger.query({ type: "llm.proxy" })) found.push(e);
    expect(found).toHaveLength(1);
    expect(found[0]!.payload).toMatchObject({ mode: "sandbox", restored: true, decision: "ok" });
    expect(JSON.stringify(found)).not.toContain(SSN);
  });
});
