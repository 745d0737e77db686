// The plan of a guarded run lives in core/ (review evidence verifies approvals over it too).
export * from "../core/plan.js";
