import { z } from "zod";
import type { LanguageModel } from "ai";
import { callModel, LlmCallError } from "../../llm/gateway.js";
import { createLanguageModel, resolveProviderSettings } from "../../llm/providers.js";
import { formatHeader, TYPES, type CommitMessage } from "../message.js";
import type { LintSetup } from "../lint.js";
import type { ChangeContext } from "./index.js";
import { budgetDiff } from "./prompt.js";
import { repoLabel } from "../../git/repo-label.js";

export interface ModelGeneration {
  messages: CommitMessage[];
  omitted: { path: string; reason: string }[];
  model?: string;
  notes: string[];
}

const CandidateSchema = z.object({
  type: z.string().min(1).max(20),
  scope: z.string().max(40).nullable(),
  subject: z.string().min(1).max(200),
  body: z.array(z.string().max(300)).max(12),
});
export const CandidatesSchema = z.object({ candidates: z.array(CandidateSchema).min(1).max(10) });

function rule<T>(lint: LintSetup, name: string): T | undefined {
  const r = lint.rules[name];
  return r && r[0] !== 0 && r[1] === "always" ? (r[2] as T) : undefined;
}

export function buildPrompt(
  ctx: ChangeContext,
  offline: CommitMessage,
  n: number,
  diff: string,
): { system: string; prompt: string } {
  const types = rule<string[]>(ctx.lint, "type-enum") ?? [...TYPES];
  const scopes = rule<string[]>(ctx.lint, "scope-enum") ?? ctx.vocab.scopes().slice(0, 25);
  const headerMax = rule<number>(ctx.lint, "header-max-length") ?? 100;
  const system = [
    "You write git commit messages in the Conventional Commits format for the change shown.",
    `Allowed types: ${types.join(", ")}.`,
    scopes.length
      ? `Scopes this repository uses: ${scopes.join(", ")} (use one when it fits, else null).`
      : "Use a short lower-case scope or null.",
    `The header "type(scope): subject" must be at most ${headerMax} characters; subject in imperative mood, lower case, no trailing period.`,
    "The body is 0-6 short lines saying what changed and why. Do not add trailers.",
    "Placeholders such as [NAME_1] stand for redacted values: keep them as they are, never guess the value.",
    `Reply with JSON: {"candidates": [{"type", "scope", "subject", "body": [lines]}]} with ${n} distinct candidate(s), best first.`,
  ].join("\n");
  const prompt = `A deterministic analysis suggests: ${formatHeader(offline)}\n\nStaged change:\n${diff}`;
  return { system, prompt };
}

/** Candidates from a model through the LLM gateway; trailers are added by the caller from facts. */
export async function generateWithModel(
  ctx: ChangeContext,
  o: {
    provider: string;
    model?: string;
    n: number;
    languageModel?: unknown;
    offline: CommitMessage;
    lint: LintSetup;
    env?: Readonly<Record<string, string | undefined>>;
    ledgerSpec?: string;
    ledgerHmacKey?: string;
  },
): Promise<ModelGeneration> {
  const settings = resolveProviderSettings(ctx.config.llm, { provider: o.provider, model: o.model }, o.env ?? {});
  const model = (o.languageModel as LanguageModel | undefined) ?? (await createLanguageModel(settings));
  const diff = budgetDiff(ctx.change, settings.maxPromptTokens);
  const { system, prompt } = buildPrompt(ctx, o.offline, o.n, diff.text);
  const notes: string[] = [];
  try {
    const r = await callModel({
      model,
      provider: settings.provider,
      modelId: settings.model,
      purpose: "commit.generate",
      system,
      prompt,
      schema: CandidatesSchema,
      classification: ctx.config.classification,
      repo: await repoLabel(ctx.root),
      ledger: { spec: o.ledgerSpec ?? ctx.config.ledger.location, cwd: ctx.root, hmacKey: o.ledgerHmacKey },
      // Redacted values stay redacted: PHI never goes into git history through a message.
      restore: false,
      timeoutMs: settings.timeoutMs,
    });
    const counts = Object.entries(r.redactions);
    if (counts.length) notes.push(`redacted before sending: ${counts.map(([k, v]) => `${k} ×${v}`).join(", ")}`);
    const messages = r.output.candidates.slice(0, o.n).map((c) => ({
      type: c.type,
      scope: c.scope ?? undefined,
      subject: c.subject,
      body: c.body,
      trailers: [] as [string, string][],
    }));
    return { messages, omitted: diff.omitted, model: settings.model, notes };
  } catch (err) {
    // Shape errors fall back to the deterministic message; refusals and config errors propagate.
    if (err instanceof LlmCallError && err.outcome === "invalid-output") {
      notes.push(`${err.message}; using the offline message`);
      return { messages: [o.offline], omitted: diff.omitted, model: settings.model, notes };
    }
    throw err;
  }
}
