// gitops-health/guard: guarded runs with signed approvals.
export {
  guard,
  buildPlan,
  recordPlan,
  approveRun,
  executeRun,
  readRun,
  listRuns,
  evaluate as evaluateRun,
  verifiedRun,
  planDigest,
  type GuardOptions,
  type Plan,
  type RunState,
  type Evaluation as RunEvaluation,
  type VerifiedRun,
} from "../guard/index.js";
