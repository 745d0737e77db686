// gitops-health/commit: the commit message schema, its lint, and message generation.
export {
  TYPES as COMMIT_TYPES,
  parseHeader,
  parseCommitMessage,
  parseTrailers,
  formatHeader,
  formatMessage,
  type CommitMessage,
  type ParsedHeader,
  type ParsedMessage,
} from "../commit/message.js";
export { loadLintSetup, lintMessage, type LintSetup, type LintResult } from "../commit/lint.js";
export {
  generateCommitMessages,
  type Candidate,
  type GenerateOptions,
  type GenerateResult,
} from "../commit/generate/index.js";
export { generateOffline, type Inference } from "../commit/generate/offline.js";
export { repairMessage } from "../commit/generate/repair.js";
export { Vocabulary } from "../commit/generate/vocabulary.js";
