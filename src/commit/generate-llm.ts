import type { CommitMessage } from "./generate.js";
import type { LintSetup } from "./commitlint.js";
import type { ChangeContext } from "./generate-service.js";
import { UserError } from "../core/errors.js";

export interface ModelGeneration {
  messages: CommitMessage[];
  omitted: { path: string; reason: string }[];
  model?: string;
  notes: string[];
}

export async function generateWithModel(_ctx: ChangeContext, _o: { provider: string; model?: string; n: number; languageModel?: unknown; offline: CommitMessage; lint: LintSetup }): Promise<ModelGeneration> {
  throw new UserError("model providers are not available yet");
}
