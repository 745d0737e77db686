// gitops-health/policy: packs, rules, evaluation, the compliance gate and policy tests.
export { loadBuiltinPack, BUILTIN_PACKS } from "../policy/packs.js";
export { loadPack, effectivePack, compileRules, type Pack, type Rule, type CompiledRule } from "../policy/engine.js";
export {
  evaluatePolicy,
  decide,
  type PolicyInput,
  type Evaluation as PolicyEvaluation,
  type Violation,
  type ControlStatus,
} from "../policy/evaluate.js";
export { complianceCheck, type ComplianceReport } from "../policy/check.js";
export { complianceWriters } from "../policy/report.js";
export { runPolicyTestFile, PolicyTestFile, type CaseResult as PolicyTestCaseResult } from "../policy/policy-test.js";
export { CONTROLS, findControl, type Control } from "../policy/controls.js";
