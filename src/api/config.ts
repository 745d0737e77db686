// gitops-health/config: the configuration file, errors and the shared vocabulary.
export { UserError, ExitCode } from "../core/errors.js";
export {
  SEVERITIES,
  SEVERITY_RANK,
  severityAtLeast,
  CLASSIFICATIONS,
  type Severity,
  type Classification,
} from "../core/vocabulary.js";
export { loadConfig, parseConfigText } from "../config/load.js";
export { Config } from "../config/schema.js";
export { readEnv, type EnvSettings } from "../config/env.js";
