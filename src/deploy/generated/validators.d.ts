// Types of the generated standalone validators (scripts/write-deploy-validators.ts).
export interface GeneratedValidator {
  (data: unknown): boolean;
  errors?: { instancePath: string; message?: string }[] | null;
}
/** CommonJS source defining exports.Rollout, exports.AnalysisTemplate and exports.FlaggerCanary. */
export declare const source: string;
