// Signing moved to src/core/signing.ts (evidence/ and deploy/ use it too, and guard/ uses evidence/):
// this re-export keeps older import paths working.
export * from "../core/signing.js";
