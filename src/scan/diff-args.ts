// git diff arguments shared by the staged fast path (staged.ts) and the diff scans (diff-scan.ts).
export const DIFF_FLAGS = ["-U0", "--no-color", "--no-ext-diff", "--no-renames", "--diff-filter=ACMRT"];
export const STAGED_DIFF_ARGS = ["diff", "--cached", ...DIFF_FLAGS];
