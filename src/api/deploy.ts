// gitops-health/deploy: progressive delivery plans, manifests, gates, freezes and events.
export { planDeploy, type DeployPlan, type DeployPlanRequest } from "../deploy/plan.js";
export {
  decideStrategy,
  impactOf,
  applyRequested,
  checkWeights,
  type Decision,
  type Impact,
  type Strategy,
  type Likelihood,
} from "../deploy/strategy.js";
export {
  buildManifests,
  manifestYaml,
  validateFlaggerCanary,
  gateUrl,
  type Manifest,
  type ManifestInput,
  type Target,
} from "../deploy/manifests.js";
export { approvalGateStatus, type GateAnswer, type GateStatus } from "../deploy/gate.js";
export { activeFreezes, type ActiveFreeze } from "../deploy/freeze.js";
export {
  appendRecord,
  readDeployEvents,
  readIncidents,
  recordStatement,
  type DeployRecord,
  type IncidentRecord,
  type RollbackRecord,
} from "../deploy/events.js";
