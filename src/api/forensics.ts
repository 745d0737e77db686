// gitops-health/forensics: flake-aware culprit search.
export { bisect, type BisectOptions, type BisectReport } from "../forensics/bisect.js";
export { CulpritSearch } from "../forensics/search.js";
