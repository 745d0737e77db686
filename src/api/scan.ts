// gitops-health/scan: files, strings, staged changes, ranges, history and JSON Lines.
export { scanFiles, scanString, scanStaged, scanRange, scanHistory, scanJsonl } from "../scan/index.js";
export { loadFingerprintKey, ensureFingerprintKey, FINGERPRINT_SCHEME } from "../scan/fingerprint-key.js";
