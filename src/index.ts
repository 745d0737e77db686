/**
 * gitops-health library API: every domain's public surface, also importable on its own as
 * `gitops-health/<domain>` (src/api/<domain>.ts). Names are unique across domains: a clash is a
 * compile error here (`export *` of two modules with the same name).
 */
export * from "./api/config.js";
export * from "./api/phi.js";
export * from "./api/scan.js";
export * from "./api/report.js";
export * from "./api/audit.js";
export * from "./api/policy.js";
export * from "./api/evidence.js";
export * from "./api/risk.js";
export * from "./api/forensics.js";
export * from "./api/commit.js";
export * from "./api/llm.js";
export * from "./api/guard.js";
export * from "./api/deploy.js";
export * from "./api/review.js";
export * from "./api/proxy.js";
export * from "./api/pipeline.js";
