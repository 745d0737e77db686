// gitops-health/proxy: the LLM safety proxy's logic (redaction sessions, stream guard, routing, audit records).
export {
  PlaceholderSession,
  StreamGuard,
  filterReply,
  policyFor,
  actionFor,
  resolveRoute,
  listModels,
  CallerLimits,
  proxyLedgerEntry,
  sandboxResponse,
  type ProxyPolicy,
  type ProxyCallRecord,
} from "../proxy/index.js";
