// gitops-health/llm: the model gateway (redaction, refusal, audit of every call).
export {
  callModel,
  LlmRefusedError,
  LlmCallError,
  redactWithPlaceholders,
  restorePlaceholders,
  resolveProviderSettings,
  createLanguageModel,
} from "../llm/index.js";
export type { LlmCallOptions, LlmCallResult, ProviderSettings, ProviderName } from "../llm/index.js";
