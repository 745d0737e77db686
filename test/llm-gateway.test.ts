import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { MockLanguageModelV3 } from "ai/test";
import { callModel, LlmRefusedError, LlmCallError } from "../src/llm/gateway.js";
import { redactWithPlaceholders, restorePlaceholders } from "../src/llm/redaction.js";
import { createLanguageModel, resolveProviderSettings } from "../src/llm/providers.js";
import { scanText } from "../src/phi/index.js";
import { sha256Hex } from "../src/core/hash.js";
import { openLedger } from "../src/audit/index.js";
import { LlmConfig } from "../src/config/schema.js";
import { budgetDiff } from "../src/commit/generate/prompt.js";
import { spawn } from "node:child_process";
import { makeRepo, makeTempDir, type TempRepo } from "./helpers/repo.js";

/** Like runCli, but asynchronous: the local model server lives in this process and must keep serving. */
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

const SSN = "512-84-3921";
const EMAIL = "jane.doe@example.org";
const Reply = z.object({ summary: z.string() });

function mockModel(text: string | (() => string)) {
  return new MockLanguageModelV3({
    modelId: "mock-1",
    doGenerate: async () => ({
      content: [{ type: "text", text: typeof text === "string" ? text : text() }],
      finishReason: { unified: "stop", raw: "stop" },
      usage: {
        inputTokens: { total: 42, noCache: 42, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 7, text: 7, reasoning: 0 },
      },
      warnings: [],
    }),
  });
}

async function ledgerEntries(dir: string) {
  const ledger = await openLedger(join(dir, "ledger"));
  const out = [];
  for await (const e of ledger.query({ type: "llm.call" })) out.push(e);
  await ledger.close();
  return out as { payload: Record<string, unknown> }[];
}

describe("redaction placeholders", () => {
  it("numbers values per category, reuses a placeholder for a repeated value and restores them", () => {
    const text = `patient ${SSN} mailed ${EMAIL}; again ${SSN}, other 423-76-1298`;
    const r = redactWithPlaceholders(text, (t) => scanText(t));
    expect(r.text).toBe("patient [SSN_1] mailed [EMAIL_1]; again [SSN_1], other [SSN_2]");
    expect(r.counts).toEqual({ ssn: 3, email: 1 });
    expect(restorePlaceholders("see [SSN_2] and [SSN_1] and [NAME_9]", r.map)).toBe(
      `see 423-76-1298 and ${SSN} and [NAME_9]`,
    );
  });
});

describe("gateway with the AI SDK mock model", () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir("gh-llm-");
  });

  it("sends only redacted text, restores placeholders in the reply and records the call without the prompt", async () => {
    const model = mockModel(JSON.stringify({ summary: "record [SSN_1] updated for [EMAIL_1]" }));
    const prompt = `Summarize: patient SSN ${SSN}, contact ${EMAIL}.`;
    const r = await callModel({
      model,
      provider: "mock",
      modelId: "mock-1",
      purpose: "test",
      prompt,
      schema: Reply,
      classification: "business",
      repo: "acme/web",
      ledger: { spec: join(dir, "ledger") },
    });
    const sent = JSON.stringify(model.doGenerateCalls[0]!.prompt);
    expect(sent).not.toContain(SSN);
    expect(sent).not.toContain(EMAIL);
    expect(sent).toContain("[SSN_1]");
    expect(r.output.summary).toBe(`record ${SSN} updated for ${EMAIL}`);
    expect(r.redactions).toEqual({ ssn: 1, email: 1 });
    expect(r.usage).toMatchObject({ inputTokens: 42, outputTokens: 7 });
    const entries = await ledgerEntries(dir);
    const e = entries[entries.length - 1]!;
    expect(e.payload).toMatchObject({
      provider: "mock",
      model: "mock-1",
      outcome: "ok",
      redactions: { ssn: 1, email: 1 },
      promptSha256: r.promptSha256,
      // the repository label, for the dashboard's per-repository views
      repo: "acme/web",
    });
    expect(JSON.stringify(entries)).not.toContain(SSN);
    expect(JSON.stringify(entries)).not.toContain("Summarize");
  });

  it("keeps placeholders when restore is off", async () => {
    const r = await callModel({
      model: mockModel(JSON.stringify({ summary: "fix [SSN_1]" })),
      provider: "mock",
      modelId: "m",
      purpose: "t",
      prompt: `x ${SSN}`,
      schema: Reply,
      classification: "personal",
      ledger: { spec: join(dir, "ledger") },
      restore: false,
    });
    expect(r.output.summary).toBe("fix [SSN_1]");
  });

  it("rejects a reply of the wrong shape with a typed error and records invalid-output", async () => {
    await expect(
      callModel({
        model: mockModel('{"nope": 1}'),
        provider: "mock",
        modelId: "m",
        purpose: "t",
        prompt: "hello",
        schema: Reply,
        classification: "personal",
        ledger: { spec: join(dir, "ledger") },
      }),
    ).rejects.toBeInstanceOf(LlmCallError);
    const entries = await ledgerEntries(dir);
    expect(entries[entries.length - 1]!.payload.outcome).toBe("invalid-output");
  });

  it("clinical: a reply carrying PHI the model produced is refused", async () => {
    const model = mockModel(JSON.stringify({ summary: "patient 555-12-3456 is fine" }));
    const err = await callModel({
      model,
      provider: "mock",
      modelId: "m",
      purpose: "t",
      prompt: "hello",
      schema: Reply,
      classification: "clinical",
      ledger: { spec: join(dir, "ledger") },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmRefusedError);
    expect((err as LlmRefusedError).reason).toBe("phi-in-reply");
    // the same reply is allowed (and reported) outside clinical
    const ok = await callModel({
      model,
      provider: "mock",
      modelId: "m",
      purpose: "t",
      prompt: "hello",
      schema: Reply,
      classification: "business",
      ledger: { spec: join(dir, "ledger") },
    });
    expect(ok.replyFindings).toEqual({ ssn: 1 });
  });

  it("every classification: PHI the model produced is masked before use, with or without restoring placeholders (issue 13, item 7)", async () => {
    const made = "536-22-8147";
    const model = mockModel(JSON.stringify({ summary: `record [SSN_1] matches ${made}, mail john.smith@gmail.com` }));
    for (const classification of ["personal", "business"] as const) {
      for (const restore of [true, false]) {
        const r = await callModel({
          model,
          provider: "mock",
          modelId: "m",
          purpose: "t",
          prompt: `x ${SSN}`,
          schema: Reply,
          classification,
          ledger: { spec: join(dir, "ledger") },
          restore,
        });
        expect(r.output.summary).not.toContain(made);
        expect(r.output.summary).not.toContain("john.smith@gmail.com");
        expect(r.output.summary).toBe(
          `record ${restore ? SSN : "[SSN_1]"} matches [REDACTED_SSN], mail [REDACTED_EMAIL]`,
        );
        expect(r.replyFindings).toEqual({ ssn: 1, email: 1 });
      }
    }
    const entries = await ledgerEntries(dir);
    expect(JSON.stringify(entries)).not.toContain(made);
  });

  it("clinical: a prompt still holding high-severity PHI after redaction is refused before any model call", async () => {
    // A detector that sees more on the redacted text than the first pass did (as a context-aware
    // engine can); the gate must catch what redaction did not remove.
    let pass = 0;
    const scanner = (t: string) => {
      pass++;
      const found = scanText(t);
      if (pass === 2 && t.includes("MRN"))
        return [
          ...found,
          {
            ...found[0],
            ruleId: "mrn",
            category: "mrn",
            severity: "high" as const,
            start: t.indexOf("MRN"),
            end: t.indexOf("MRN") + 3,
            line: 1,
            column: 1,
            confidence: 0.9,
            preview: "M*N",
            fingerprint: "x",
          },
        ];
      return found;
    };
    const model = mockModel(JSON.stringify({ summary: "x" }));
    const err = await callModel({
      model,
      provider: "mock",
      modelId: "m",
      purpose: "t",
      prompt: `MRN for ${SSN}`,
      schema: Reply,
      classification: "clinical",
      ledger: { spec: join(dir, "ledger") },
      scanner,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmRefusedError);
    expect((err as LlmRefusedError).reason).toBe("phi-after-redaction");
    expect(model.doGenerateCalls).toHaveLength(0);
    const entries = await ledgerEntries(dir);
    expect(entries[entries.length - 1]!.payload).toMatchObject({ outcome: "refused", reason: "phi-after-redaction" });
  });
});

describe("provider settings", () => {
  const llm = LlmConfig.parse({});
  it("env overrides config; missing pieces are one-line user errors", () => {
    expect(resolveProviderSettings(llm, {}, {}).provider).toBe("offline");
    const s = resolveProviderSettings(
      llm,
      {},
      {
        GITOPS_HEALTH_LLM_PROVIDER: "openai-compatible",
        GITOPS_HEALTH_LLM_MODEL: "llama3",
        GITOPS_HEALTH_LLM_BASE_URL: "http://127.0.0.1:11434/v1",
      },
    );
    expect(s).toMatchObject({ provider: "openai-compatible", model: "llama3", baseURL: "http://127.0.0.1:11434/v1" });
    expect(() => resolveProviderSettings(llm, { provider: "openai" }, {})).toThrow(/OPENAI_API_KEY/);
    expect(() => resolveProviderSettings(llm, { provider: "openai-compatible", model: "x" }, {})).toThrow(/base URL/);
    expect(() => resolveProviderSettings(llm, { provider: "nope" }, {})).toThrow(/unknown LLM provider/);
  });
});

describe("prompt budget", () => {
  it("leaves out lockfiles and binaries and summarizes the largest files when over budget, saying so", () => {
    const big = Array.from({ length: 400 }, (_, i) => `line ${i} of a long change`);
    const change = {
      files: [
        {
          path: "package-lock.json",
          oldPath: null,
          status: "modified" as const,
          binary: false,
          added: ["{}"],
          removed: [],
          contexts: [],
          addedAt: [],
        },
        {
          path: "logo.png",
          oldPath: null,
          status: "added" as const,
          binary: true,
          added: [],
          removed: [],
          contexts: [],
          addedAt: [],
        },
        {
          path: "src/big.ts",
          oldPath: null,
          status: "modified" as const,
          binary: false,
          added: big,
          removed: [],
          contexts: [],
          addedAt: big.map((_, i) => i + 1),
        },
        {
          path: "src/small.ts",
          oldPath: null,
          status: "modified" as const,
          binary: false,
          added: ["return x;"],
          removed: ["return y;"],
          contexts: ["function small()"],
          addedAt: [1],
        },
      ],
    };
    const d = budgetDiff(change, 500);
    expect(d.omitted).toEqual([
      { path: "package-lock.json", reason: "lockfile" },
      { path: "logo.png", reason: "binary" },
      { path: "src/big.ts", reason: "summarized (over token budget)" },
    ]);
    expect(d.text).toContain("+return x;");
    expect(d.text).toContain("src/big.ts (+400 -0");
    expect(d.text).not.toContain("line 399");
    expect(d.estimatedTokens).toBeLessThanOrEqual(500);
  });
});

// ---- the real HTTP path: a local server speaking the OpenAI chat-completions protocol ----

interface Received {
  url: string;
  body: { model: string; messages: { role: string; content: string }[]; response_format?: unknown };
}

describe("real HTTP path through the openai-compatible provider", () => {
  let server: Server;
  let baseURL: string;
  const received: Received[] = [];
  let reply: (body: Received["body"]) => string = () => "{}";
  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = "";
      req.on("data", (c: Buffer) => (data += c.toString("utf8")));
      req.on("end", () => {
        const body = JSON.parse(data) as Received["body"];
        received.push({ url: req.url ?? "", body });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: "chatcmpl-test",
            object: "chat.completion",
            created: 1_700_000_000,
            model: body.model,
            choices: [{ index: 0, message: { role: "assistant", content: reply(body) }, finish_reason: "stop" }],
            usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address();
    baseURL = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/v1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("the request body holds placeholders, not PHI; the reply is restored; the ledger has hash and counts only", async () => {
    const dir = makeTempDir("gh-llm-http-");
    reply = (body) => {
      // echo back the placeholder the model saw
      const ph = /\[SSN_\d+\]/.exec(body.messages.map((m) => m.content).join("\n"))?.[0] ?? "none";
      return JSON.stringify({ summary: `updated record ${ph}` });
    };
    const settings = resolveProviderSettings(
      LlmConfig.parse({}),
      {},
      {
        GITOPS_HEALTH_LLM_PROVIDER: "openai-compatible",
        GITOPS_HEALTH_LLM_MODEL: "local-llm",
        GITOPS_HEALTH_LLM_BASE_URL: baseURL,
      },
    );
    const model = await createLanguageModel(settings);
    const prompt = `Summarize: patient ${SSN} (${EMAIL}) record changed.`;
    const r = await callModel({
      model,
      provider: settings.provider,
      modelId: settings.model,
      purpose: "test.http",
      prompt,
      schema: Reply,
      classification: "clinical",
      ledger: { spec: join(dir, "ledger") },
    });
    const req = received[received.length - 1]!;
    expect(req.url).toBe("/v1/chat/completions");
    expect(req.body.model).toBe("local-llm");
    // structured output: the zod schema goes to the server as a JSON schema
    expect(JSON.stringify(req.body.response_format)).toContain("json_schema");
    const raw = JSON.stringify(req.body);
    expect(raw).not.toContain(SSN);
    expect(raw).not.toContain(EMAIL);
    expect(raw).toContain("[SSN_1]");
    expect(raw).toContain("[EMAIL_1]");
    expect(r.output.summary).toBe(`updated record ${SSN}`);
    expect(r.usage).toMatchObject({ inputTokens: 120, outputTokens: 30 });
    const entries = await ledgerEntries(dir);
    expect(entries).toHaveLength(1);
    const p = entries[0]!.payload;
    expect(p).toMatchObject({
      provider: "openai-compatible",
      model: "local-llm",
      outcome: "ok",
      redactions: { ssn: 1, email: 1 },
      usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 },
    });
    // the hash is of exactly what was sent (system + redacted prompt), never the prompt itself
    expect(p.promptSha256).toBe(sha256Hex(`\n\u0000\n${prompt.replace(SSN, "[SSN_1]").replace(EMAIL, "[EMAIL_1]")}`));
    const stored = readFileSync(join(dir, "ledger", "entries.log"), "utf8");
    expect(stored).not.toContain(SSN);
    expect(stored).not.toContain("Summarize");
  });

  it("servers without JSON-schema support get plain JSON mode (llm.structuredOutputs: false); the reply is still validated", async () => {
    const dir = makeTempDir("gh-llm-json-");
    reply = () => JSON.stringify({ summary: "ok" });
    const settings = resolveProviderSettings(
      LlmConfig.parse({ structuredOutputs: false, timeoutMs: 5000 }),
      {},
      {
        GITOPS_HEALTH_LLM_PROVIDER: "openai-compatible",
        GITOPS_HEALTH_LLM_MODEL: "old-llm",
        GITOPS_HEALTH_LLM_BASE_URL: baseURL,
      },
    );
    const r = await callModel({
      model: await createLanguageModel(settings),
      provider: settings.provider,
      modelId: settings.model,
      purpose: "t",
      prompt: "hi",
      schema: Reply,
      classification: "personal",
      ledger: { spec: join(dir, "ledger") },
      timeoutMs: settings.timeoutMs,
    });
    expect(r.output.summary).toBe("ok");
    expect(JSON.stringify(received[received.length - 1]!.body.response_format)).not.toContain("json_schema");
  });

  describe("commit generate --provider openai-compatible as a real process", () => {
    let repo: TempRepo;
    afterEach(() => repo?.cleanup());

    it("sends a redacted, budgeted diff and prints a commitlint-valid message with computed trailers", async () => {
      repo = makeRepo();
      repo.commit("chore: init", { "src/patients/lookup.ts": "export function find(id: string) {\n  return id;\n}\n" });
      repo.write(
        "src/patients/lookup.ts",
        `export function find(id: string) {\n  if (!id) return null; // seen with ${SSN}\n  return id;\n}\n`,
      );
      repo.write("package-lock.json", "{}\n");
      repo.git("add", "-A");
      reply = () =>
        JSON.stringify({
          candidates: [
            {
              type: "Fix",
              scope: "patients",
              subject: "Guard empty ids in find for [SSN_1].",
              body: ["Return null early."],
            },
          ],
        });
      const before = received.length;
      const res = await runCliAsync(["commit", "generate", "--format", "json"], repo.dir, {
        GITOPS_HEALTH_LLM_PROVIDER: "openai-compatible",
        GITOPS_HEALTH_LLM_MODEL: "local-llm",
        GITOPS_HEALTH_LLM_BASE_URL: baseURL,
      });
      expect(res.stderr).toContain("package-lock.json (lockfile)");
      expect(res.code).toBe(0);
      const out = JSON.parse(res.stdout) as {
        candidates: { text: string; valid: boolean; repaired: boolean }[];
        omitted: { path: string }[];
        provider: string;
      };
      expect(received.length).toBe(before + 1);
      const sent = JSON.stringify(received[received.length - 1]!.body);
      expect(sent).not.toContain(SSN);
      expect(sent).toContain("[SSN_1]");
      expect(out.provider).toBe("openai-compatible");
      expect(out.omitted).toEqual([{ path: "package-lock.json", reason: "lockfile" }]);
      const c = out.candidates[0]!;
      // repaired (type case, capital, period) and valid; placeholders are not restored into git history
      expect(c.valid).toBe(true);
      expect(c.repaired).toBe(true);
      expect(c.text.split("\n")[0]).toBe("fix(patients): guard empty ids in find for [SSN_1]");
      expect(c.text).not.toContain(SSN);
      expect(c.text).toMatch(/PHI-Impact: high/);
      const ledger = readFileSync(join(repo.dir, ".gitops-health", "ledger", "entries.log"), "utf8");
      expect(ledger).toContain('"llm.call"');
      expect(ledger).not.toContain(SSN);
    });

    it("a model reply inventing PHI never lands raw in the generated message (personal and business)", async () => {
      repo = makeRepo();
      repo.commit("chore: init", { "src/patients/lookup.ts": "export function find(id: string) {\n  return id;\n}\n" });
      repo.write(
        "src/patients/lookup.ts",
        "export function find(id: string) {\n  if (!id) return null;\n  return id;\n}\n",
      );
      repo.git("add", "-A");
      const made = "536-22-8147";
      reply = () =>
        JSON.stringify({
          candidates: [
            {
              type: "fix",
              scope: "patients",
              subject: `guard empty ids for ${made}`,
              body: [`Seen for patient ${made}, mailed to john.smith@gmail.com.`],
            },
          ],
        });
      for (const classification of ["personal", "business"]) {
        repo.write(".gitops-health.yml", `classification: ${classification}\n`);
        const res = await runCliAsync(["commit", "generate", "--format", "json"], repo.dir, {
          GITOPS_HEALTH_LLM_PROVIDER: "openai-compatible",
          GITOPS_HEALTH_LLM_MODEL: "local-llm",
          GITOPS_HEALTH_LLM_BASE_URL: baseURL,
        });
        expect(res.code).toBe(0);
        expect(res.stdout + res.stderr).not.toContain(made);
        expect(res.stdout).not.toContain("john.smith@gmail.com");
        const c = (JSON.parse(res.stdout) as { candidates: { text: string }[] }).candidates[0]!;
        expect(c.text.split("\n")[0]).toBe("fix(patients): guard empty ids for [REDACTED_SSN]");
      }
    });
  });
});
