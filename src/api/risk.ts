// gitops-health/risk: just-in-time defect risk of a change.
export { scoreChange, buildDataset, train as trainRiskModel, evaluate as evaluateRiskModel } from "../risk/index.js";
export type { RiskResult, RiskLevel, RiskModel } from "../risk/index.js";
export { extractFeatures, KAMEI } from "../risk/features.js";
