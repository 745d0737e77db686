import type { LanguageModel } from "ai";
import { UserError } from "../core/errors.js";
import type { Config } from "../config/schema.js";

export const PROVIDERS = ["offline", "openai", "anthropic", "azure", "google", "openai-compatible"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface ProviderSettings {
  provider: ProviderName;
  model: string;
  baseURL?: string;
  apiKey?: string;
  maxPromptTokens: number;
  timeoutMs: number;
  structuredOutputs: boolean;
}

const DEFAULT_MODELS: Partial<Record<ProviderName, string>> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-3-5-haiku-latest",
  google: "gemini-2.0-flash",
};

const KEY_ENVS: Partial<Record<ProviderName, string>> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  azure: "AZURE_API_KEY",
  google: "GOOGLE_GENERATIVE_AI_API_KEY",
};

/**
 * Provider settings: command-line flags over GITOPS_HEALTH_LLM_* environment variables over the
 * `llm` section of `.gitops-health.yml`. Missing pieces are UserErrors naming what to set. `env` is
 * the environment the front passes (the CLI: the process environment; API keys are read from it).
 */
export function resolveProviderSettings(
  llm: Config["llm"],
  overrides: { provider?: string; model?: string; baseURL?: string } = {},
  env: Readonly<Record<string, string | undefined>>,
): ProviderSettings {
  const provider = (overrides.provider ?? env.GITOPS_HEALTH_LLM_PROVIDER ?? llm.provider) as ProviderName;
  if (!PROVIDERS.includes(provider))
    throw new UserError(`unknown LLM provider "${provider}" (valid: ${PROVIDERS.join(", ")})`);
  const model = overrides.model ?? env.GITOPS_HEALTH_LLM_MODEL ?? llm.model ?? DEFAULT_MODELS[provider];
  const baseURL = overrides.baseURL ?? env.GITOPS_HEALTH_LLM_BASE_URL ?? llm.baseURL;
  const keyEnv = llm.apiKeyEnv ?? (provider === "openai-compatible" ? "GITOPS_HEALTH_LLM_API_KEY" : KEY_ENVS[provider]);
  const apiKey = keyEnv ? env[keyEnv] : undefined;
  const common = {
    maxPromptTokens: llm.maxPromptTokens,
    timeoutMs: llm.timeoutMs,
    structuredOutputs: llm.structuredOutputs,
  };
  if (provider === "offline") return { provider, model: "offline", ...common };
  if (!model)
    throw new UserError(`LLM provider ${provider} needs a model: --model, GITOPS_HEALTH_LLM_MODEL or llm.model`);
  if (provider === "openai-compatible" && !baseURL)
    throw new UserError(
      "the openai-compatible provider needs a base URL: GITOPS_HEALTH_LLM_BASE_URL or llm.baseURL (e.g. http://127.0.0.1:11434/v1)",
    );
  if (provider !== "openai-compatible" && !apiKey)
    throw new UserError(`LLM provider ${provider} needs an API key in ${keyEnv}`);
  if (baseURL) {
    try {
      new URL(baseURL);
    } catch {
      throw new UserError(`invalid LLM base URL: ${baseURL}`);
    }
  }
  return { provider, model, baseURL, apiKey, ...common };
}

/** Build the AI SDK model for the settings; provider packages are imported only when used. */
export async function createLanguageModel(s: ProviderSettings): Promise<LanguageModel> {
  switch (s.provider) {
    case "openai": {
      const { createOpenAI } = await import("@ai-sdk/openai");
      return createOpenAI({ apiKey: s.apiKey, baseURL: s.baseURL })(s.model);
    }
    case "anthropic": {
      const { createAnthropic } = await import("@ai-sdk/anthropic");
      return createAnthropic({ apiKey: s.apiKey, baseURL: s.baseURL })(s.model);
    }
    case "azure": {
      const { createAzure } = await import("@ai-sdk/azure");
      return createAzure({ apiKey: s.apiKey, baseURL: s.baseURL })(s.model);
    }
    case "google": {
      const { createGoogleGenerativeAI } = await import("@ai-sdk/google");
      return createGoogleGenerativeAI({ apiKey: s.apiKey, baseURL: s.baseURL })(s.model);
    }
    case "openai-compatible": {
      const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
      return createOpenAICompatible({
        name: "openai-compatible",
        baseURL: s.baseURL!,
        apiKey: s.apiKey,
        includeUsage: true,
        supportsStructuredOutputs: s.structuredOutputs,
      })(s.model);
    }
    default:
      throw new UserError(`provider ${s.provider} has no language model`);
  }
}
