import type { LanguageModel } from "ai";
import type { z } from "zod";
import { UserError, errorMessage } from "../core/errors.js";
import { sha256Hex } from "../core/hash.js";
import type { Classification } from "../config/schema.js";
import { scanText } from "../phi/index.js";
import type { Finding } from "../phi/types.js";
import { openLedger } from "../audit/index.js";
import type { Ledger } from "../audit/types.js";
import { screenFindings } from "../audit/screen.js";
import {
  countByCategory,
  mapStrings,
  maskFindings,
  redactWithPlaceholders,
  restorePlaceholders,
  type Scanner,
} from "./redaction.js";

/** A model call the gateway refused (PHI left after redaction, or PHI in the reply under `clinical`). */
export class LlmRefusedError extends UserError {
  constructor(
    readonly reason: "phi-after-redaction" | "phi-in-reply",
    message: string,
  ) {
    super(message);
    this.name = "LlmRefusedError";
  }
}

/** The provider failed or answered with something that does not fit the schema. */
export class LlmCallError extends UserError {
  constructor(
    readonly outcome: "error" | "invalid-output",
    message: string,
  ) {
    super(message);
    this.name = "LlmCallError";
  }
}

export interface LlmCallOptions<T> {
  model: LanguageModel;
  /** For the ledger: provider and model names. */
  provider: string;
  modelId: string;
  /** What the call is for (ledger subject), e.g. "commit.generate". */
  purpose: string;
  system?: string;
  prompt: string;
  schema: z.ZodType<T>;
  classification: Classification;
  /** Repository label recorded with the call, for the dashboard's per-repository views (src/git/repo-label.ts: a label, not an identity). */
  repo?: string;
  /** Where calls are recorded: an open ledger, or a spec/cwd for openLedger. */
  ledger?: Ledger | { spec?: string; cwd?: string; hmacKey?: string };
  actor?: string;
  /** Put original values back in the reply's strings (default true). Commit messages keep placeholders. */
  restore?: boolean;
  scanner?: Scanner;
  maxOutputTokens?: number;
  timeoutMs?: number;
  temperature?: number;
}

export interface LlmCallResult<T> {
  output: T;
  promptSha256: string;
  redactions: Record<string, number>;
  replyFindings: Record<string, number>;
  usage: { inputTokens?: number; outputTokens?: number; totalTokens?: number };
  latencyMs: number;
  ledgerSeq?: number;
}

const defaultScanner: Scanner = (text) => scanText(text);
const isLedger = (x: unknown): x is Ledger => typeof (x as Ledger | undefined)?.append === "function";

/**
 * The one door through which prompts leave the machine:
 * 1. redact PHI and secrets into numbered placeholders (map kept locally);
 * 2. under `clinical`, refuse if high-severity PHI is still detectable in what would be sent;
 * 3. call the model with structured output and validate the reply with zod;
 * 4. scan every string of the reply and mask what is found, for every classification
 *    (model-originated high-severity PHI is refused under `clinical`), then restore placeholders;
 * 5. append an `llm.call` ledger entry: provider, model, prompt hash, redaction counts, usage,
 *    latency and outcome. Never the prompt or the reply.
 */
export async function callModel<T>(o: LlmCallOptions<T>): Promise<LlmCallResult<T>> {
  const scan = o.scanner ?? defaultScanner;
  const started = performance.now();
  const system = o.system ? redactWithPlaceholders(o.system, scan) : undefined;
  const user = redactWithPlaceholders(o.prompt, scan);
  const map = new Map([...(system?.map ?? []), ...user.map]);
  const redactions = countByCategory([...(system?.findings ?? []), ...user.findings]);
  const sent = `${system?.text ?? ""}\n\u0000\n${user.text}`;
  const promptSha256 = sha256Hex(sent);
  const ledger = isLedger(o.ledger)
    ? o.ledger
    : await openLedger(o.ledger?.spec, { cwd: o.ledger?.cwd, hmacKey: o.ledger?.hmacKey });
  const owned = !isLedger(o.ledger);
  const record = async (outcome: string, extra: Record<string, unknown> = {}) =>
    (
      await ledger.append({
        type: "llm.call",
        actor: o.actor,
        subject: o.purpose,
        payload: {
          provider: o.provider,
          model: o.modelId,
          classification: o.classification,
          // as the proxy records names: a digest when the ledger's PHI screen would read the label as an identifier
          ...(o.repo ? { repo: screenFindings(o.repo).length ? `sha256:${sha256Hex(o.repo)}` : o.repo } : {}),
          promptSha256,
          promptChars: sent.length,
          redactions,
          latencyMs: Math.round(performance.now() - started),
          outcome,
          ...extra,
        },
      })
    ).seq;
  try {
    const residual: Finding[] = [...scan(user.text), ...(system ? scan(system.text) : [])].filter(
      (f) => f.severity === "high" && !f.synthetic,
    );
    if (o.classification === "clinical" && residual.length > 0) {
      await record("refused", { reason: "phi-after-redaction", residual: countByCategory(residual) });
      throw new LlmRefusedError(
        "phi-after-redaction",
        `refused to send the prompt: ${residual.length} high-severity PHI finding(s) remain after redaction (classification: clinical)`,
      );
    }
    const { generateText, Output, NoObjectGeneratedError } = await import("ai");
    // The SDK logs warnings with console.* (stdout): keep machine output clean.
    (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
    let result;
    try {
      result = await generateText({
        model: o.model,
        system: system?.text,
        prompt: user.text,
        output: Output.object({ schema: o.schema }),
        maxOutputTokens: o.maxOutputTokens ?? 1024,
        temperature: o.temperature ?? 0.2,
        maxRetries: 1,
        abortSignal: AbortSignal.timeout(o.timeoutMs ?? 60_000),
      });
    } catch (err) {
      const invalid = NoObjectGeneratedError.isInstance(err);
      const usage = invalid
        ? (err as { usage?: { inputTokens?: number; outputTokens?: number; totalTokens?: number } }).usage
        : undefined;
      await record(invalid ? "invalid-output" : "error", {
        error: errorMessage(err).split("\n")[0]!.slice(0, 200),
        usage: usage ?? null,
      });
      throw new LlmCallError(
        invalid ? "invalid-output" : "error",
        `model ${o.provider}/${o.modelId} ${invalid ? "replied with output that does not fit the expected shape" : `call failed: ${errorMessage(err).split("\n")[0]}`}`,
      );
    }
    const raw = result.output as T;
    const parsed = o.schema.safeParse(raw);
    const usage = {
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      totalTokens: result.usage.totalTokens,
    };
    if (!parsed.success) {
      await record("invalid-output", { usage });
      throw new LlmCallError(
        "invalid-output",
        `model ${o.provider}/${o.modelId} replied with output that does not fit the expected shape`,
      );
    }
    // PHI the model produced itself (placeholders are not PHI to the scanner): every string of
    // the reply is scanned and what is found masked, whatever the classification; under
    // `clinical` a high-severity finding refuses the reply outright.
    const replyHits: Finding[] = [];
    const masked = mapStrings(parsed.data, (s) => {
      const m = maskFindings(s, scan);
      replyHits.push(...m.findings);
      return m.text;
    });
    const replyFindings = countByCategory(replyHits);
    if (o.classification === "clinical" && replyHits.some((f) => f.severity === "high")) {
      await record("refused", { reason: "phi-in-reply", usage, replyFindings });
      throw new LlmRefusedError(
        "phi-in-reply",
        `refused the model's reply: it contains ${replyHits.length} PHI finding(s) (classification: clinical)`,
      );
    }
    const output = o.restore === false ? masked : mapStrings(masked, (s) => restorePlaceholders(s, map));
    const latencyMs = Math.round(performance.now() - started);
    const seq = await record("ok", { usage, replyFindings, finishReason: result.finishReason });
    return { output, promptSha256, redactions, replyFindings, usage, latencyMs, ledgerSeq: seq };
  } finally {
    if (owned) await ledger.close();
  }
}
