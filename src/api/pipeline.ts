// gitops-health/pipeline: the change lifecycle as one resumable, ledger-recorded run.
export {
  runPipeline,
  type PipelineOptions,
  type PipelineEvent,
  type PipelineResult,
  type PipelineStatus,
} from "../pipeline/run.js";
export { STAGES, progressOf, resumePoint, type Stage, type StageOutcome } from "../pipeline/stages.js";
export { readPipeline, readCulprits, pipelineStatement } from "../pipeline/ledger.js";
