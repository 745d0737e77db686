// gitops-health/phi: the PHI/PII and secret detection engine, and sanitizing.
export { scanText, redact, createScanner } from "../phi/index.js";
export { setFingerprintKey } from "../phi/engine.js";
export { sanitize, type SanitizeMode } from "../phi/sanitize.js";
export type { Finding, ScanTextOptions } from "../phi/types.js";
