// gitops-health/evidence: signed check results.
export {
  readCheckEvidence,
  verifyCheckEntry,
  producerTrust,
  signCheck,
  checkStatement,
  CheckResult,
  type CheckEvidence,
  type CheckVerdict,
  type ProducerTrust,
} from "../evidence/checks.js";
export { resolveCheckCommand, runCheck, executeCheck, BUILTIN_CHECKS } from "../evidence/run.js";
