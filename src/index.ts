/**
 * gitops-health library API. Each domain is usable without the CLI.
 * Each block below belongs to one domain.
 */

// core and config
export { UserError, ExitCode } from "./core/errors.js";
export { loadConfig, parseConfigText } from "./config/load.js";
export { Config } from "./config/schema.js";
export type { Classification } from "./config/schema.js";

// phi: detection engine

export { scanText, redact } from "./phi/index.js";
export type { Finding, ScanTextOptions } from "./phi/types.js";

// scan: files, git targets, reports

export { scanFiles, scanString, scanStaged, scanRange, scanHistory, scanJsonl } from "./scan/index.js";
export { createScanner } from "./phi/index.js";
export { setFingerprintKey } from "./phi/engine.js";
export { loadFingerprintKey, ensureFingerprintKey, FINGERPRINT_SCHEME } from "./scan/fingerprint-key.js";
export { sanitize, type SanitizeMode } from "./phi/sanitize.js";

// audit: ledger

export { openLedger } from "./audit/index.js";
export type { Ledger, LedgerEntry, LedgerEntryInput, AppendResult } from "./audit/types.js";

// policy: packs, rules, controls

export { loadBuiltinPack, BUILTIN_PACKS } from "./policy/packs.js";
export { loadPack, effectivePack, compileRules, type Pack, type Rule, type CompiledRule } from "./policy/engine.js";
export { evaluatePolicy, decide, type PolicyInput, type Evaluation as PolicyEvaluation, type Violation, type ControlStatus } from "./policy/evaluate.js";
export { complianceCheck, type ComplianceReport } from "./policy/check.js";
export { runPolicyTestFile, PolicyTestFile, type CaseResult as PolicyTestCaseResult } from "./policy/policy-test.js";
export { CONTROLS, findControl, type Control } from "./policy/controls.js";

// evidence: signed check results

export { readCheckEvidence, verifyCheckEntry, producerTrust, signCheck, checkStatement, CheckResult, type CheckEvidence, type CheckVerdict, type ProducerTrust } from "./evidence/checks.js";
export { resolveCheckCommand, runCheck, executeCheck, BUILTIN_CHECKS } from "./evidence/run.js";
export { isReservedType } from "./audit/reserved.js";

// risk

export { scoreChange, buildDataset, train as trainRiskModel, evaluate as evaluateRiskModel } from "./risk/index.js";
export type { RiskResult, RiskLevel, RiskModel } from "./risk/index.js";
export { extractFeatures, KAMEI } from "./risk/features.js";

// forensics

export { bisect, type BisectOptions, type BisectReport } from "./forensics/bisect.js";
export { CulpritSearch } from "./forensics/search.js";

// commit and llm

export { generateCommitMessages } from "./commit/generate-service.js";
export type { Candidate, GenerateOptions, GenerateResult } from "./commit/generate-service.js";
export { generateOffline, formatMessage, formatHeader } from "./commit/generate.js";
export type { CommitMessage, Inference } from "./commit/generate.js";
export { Vocabulary, parseHeader } from "./commit/history.js";
export { loadLintSetup, lintMessage, repairMessage } from "./commit/commitlint.js";
export { callModel, LlmRefusedError, LlmCallError, redactWithPlaceholders, restorePlaceholders, resolveProviderSettings, createLanguageModel } from "./llm/index.js";
export type { LlmCallOptions, LlmCallResult, ProviderSettings, ProviderName } from "./llm/index.js";

// guard: run and approve

export { guard, buildPlan, recordPlan, approveRun, executeRun, readRun, listRuns, evaluate, verifiedRun, planDigest, type GuardOptions, type Plan, type RunState, type Evaluation, type VerifiedRun } from "./guard/index.js";


// deploy: progressive delivery

export { planDeploy, type DeployPlan, type DeployPlanRequest } from "./deploy/plan.js";
export { decideStrategy, impactOf, applyRequested, checkWeights, type Decision, type Impact, type Strategy, type Likelihood } from "./deploy/strategy.js";
export { buildManifests, manifestYaml, validateFlaggerCanary, gateUrl, type Manifest, type ManifestInput, type Target } from "./deploy/manifests.js";
export { approvalGateStatus, type GateAnswer, type GateStatus } from "./deploy/gate.js";
export { activeFreezes, type ActiveFreeze } from "./deploy/freeze.js";
export { appendRecord, readDeployEvents, readIncidents, recordStatement, type DeployRecord, type IncidentRecord, type RollbackRecord } from "./deploy/events.js";
// pipeline: the lifecycle as one command
export { runPipeline, type PipelineOptions, type PipelineEvent, type PipelineResult, type PipelineStatus } from "./pipeline/run.js";
export { STAGES, progressOf, resumePoint, type Stage, type StageOutcome } from "./pipeline/stages.js";
export { readPipeline, readCulprits, pipelineStatement } from "./pipeline/ledger.js";
