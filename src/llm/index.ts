export { callModel, LlmRefusedError, LlmCallError } from "./gateway.js";
export type { LlmCallOptions, LlmCallResult } from "./gateway.js";
export { redactWithPlaceholders, restorePlaceholders } from "./redaction.js";
export type { Redaction, Scanner } from "./redaction.js";
export { resolveProviderSettings, createLanguageModel, PROVIDERS } from "./providers.js";
export type { ProviderSettings, ProviderName } from "./providers.js";
