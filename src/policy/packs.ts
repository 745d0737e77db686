import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import { packagePath } from "../core/paths.js";
import { Classification } from "../config/schema.js";
import { UserError } from "../core/errors.js";
import { CLASSIFICATIONS } from "../core/vocabulary.js";

/** The part of a policy pack other domains need (approvals, checks, audit level). */
export const PackSummary = z
  .object({
    name: z.string(),
    classification: Classification,
    description: z.string(),
    requiredChecks: z.array(z.string()),
    approval: z.object({ required: z.number().int().min(0) }).passthrough(),
    audit: z.enum(["basic", "full", "immutable"]),
    signedCommits: z.boolean(),
    ledgerRequired: z.boolean(),
    /** Which `check` ledger entries satisfy requiredChecks: only those signed by a trusted producer (evidence.allowedProducers). */
    checkEvidence: z.enum(["trusted-producer"]).default("trusted-producer"),
  })
  .passthrough();
export type PackSummary = z.infer<typeof PackSummary>;

/** One built-in pack per classification. */
export const BUILTIN_PACKS = CLASSIFICATIONS;

/** Load a built-in pack by name; unknown names are a UserError listing the valid ones. */
export function loadBuiltinPack(name: string): PackSummary {
  if (!(BUILTIN_PACKS as readonly string[]).includes(name)) {
    throw new UserError(`unknown pack or classification "${name}" (valid: ${BUILTIN_PACKS.join(", ")})`);
  }
  const text = readFileSync(packagePath("src", "policy", "packs", `${name}.yaml`), "utf8");
  return PackSummary.parse(parse(text));
}
