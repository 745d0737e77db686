export { actionFor, policyFor, stricter, CLASSIFICATION_ORDER, type Action, type ProxyPolicy } from "./policy.js";
export {
  PlaceholderSession,
  redactChatRequest,
  redactMessagesRequest,
  redactEmbeddingsRequest,
  redactStrings,
} from "./redact.js";
export { StreamGuard, filterReply, replyFindings, applyReply, type ReplyFilter } from "./stream.js";
export {
  resolveRoute,
  listModels,
  upstreamRequest,
  protocolOf,
  DEFAULT_BASE_URLS,
  type Route,
  type Protocol,
} from "./routing.js";
export { CallerLimits } from "./limits.js";
export { proxyLedgerEntry, PROXY_ENTRY_TYPE, sha256, type ProxyCallRecord, type Decision } from "./audit.js";
export { sandboxResponse, echoText } from "./sandbox.js";
