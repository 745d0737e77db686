import type { Starts, Rule } from "./rule.js";
import * as secrets from "./secrets.js";
import * as ids from "./identifiers.js";
import * as accounts from "./accounts.js";
import * as contact from "./contact.js";
import * as age from "./age.js";

export type { Rule, Sev, Starts } from "./rule.js";

/**
 * The built-in regex rules in the order they run. The order matters: overlapping candidates of
 * equal severity, confidence and length keep the earlier rule (resolveOverlaps sorts stably).
 */
export const RULES: readonly Rule[] = [
  // secrets: identifier-specific formats first
  secrets.awsAccessKeyId,
  secrets.awsSecretAccessKey,
  secrets.gcpApiKey,
  secrets.privateKey,
  secrets.signedNotePrivateKey,
  secrets.gcpServiceAccountKey,
  secrets.azureStorageKey,
  secrets.azureSasToken,
  secrets.githubToken,
  secrets.gitlabToken,
  secrets.slackToken,
  secrets.slackWebhook,
  secrets.stripeKey,
  secrets.anthropicKey,
  secrets.openaiKey,
  secrets.npmToken,
  secrets.twilioKey,
  secrets.jwt,
  secrets.connectionStringPassword,
  secrets.genericSecret,
  // direct identifiers with check digits or strict formats
  ids.usSsn,
  ids.usSsnUnformatted,
  ids.medicareMbi,
  ids.healthPlanId,
  ids.medicalRecordNumber,
  accounts.creditCard,
  accounts.iban,
  accounts.accountNumber,
  ids.deaNumber,
  ids.npi,
  ids.licenseNumber,
  ids.vinProse,
  ids.vinCode,
  ids.udi,
  ids.deviceSerial,
  // contact identifiers
  contact.email,
  contact.usPhone,
  contact.intlPhone,
  contact.phoneWithContext,
  contact.phoneLabelled,
  contact.phoneLabelledAfter,
  contact.usPhoneListed,
  contact.usPhoneSlashed,
  contact.referenceNumber,
  contact.usPhoneDashed,
  accounts.cardWithContext,
  contact.ipv4,
  contact.ipv6,
  contact.personalUrl,
  contact.patientPortalUrl,
  // ages over 89
  age.ageOver89,
];

// ---- tables derived from the rules' own declarations (src/phi/prefilter.ts and the scanner use these)

/** Rules whose regex can run at candidate positions only, with whether a match implies the gate. */
export const RULE_STARTS: Readonly<Record<string, { starts: Starts; impliesGate: boolean }>> = Object.fromEntries(
  RULES.filter((r) => r.starts || r.literals).map((r) => [
    r.id,
    { starts: startsOf(r)!, impliesGate: r.impliesGate ?? false },
  ]),
);

/** A rule's start function: its own, or the positions of its literals. */
export function startsOf(r: Rule): Starts | undefined {
  if (r.starts) return r.starts;
  const lits = r.literals;
  return lits ? (_t, idx) => idx.literals(lits) : undefined;
}

/** Every literal the rules declare: the text index finds those with '_' or '-' in one shared walk. */
export const RULE_LITERALS: readonly string[] = RULES.flatMap((r) => r.literals ?? []);

/**
 * The regex (FNV-1a of source and flags, `regexHash`) each start function was derived from. A rule
 * whose regex has since changed runs over the whole text instead: slower, never wrong. After
 * re-checking a start function against the new regex, update `derivedFrom` on the rule
 * (test/phi-prefilter.test.ts prints the current hashes when they differ).
 */
export const DERIVED_FROM: Readonly<Record<string, string>> = Object.fromEntries(
  RULES.filter((r) => r.derivedFrom).map((r) => [r.id, r.derivedFrom!]),
);

/** Keyword groups declared by rules (group name = rule id). */
export const RULE_KEYWORDS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  RULES.filter((r) => r.keywords).map((r) => [r.id, r.keywords!]),
);

/** Anchored rules with a gate that a context match does not imply (so it must still run). */
export const ANCHOR_GATE_NEEDED: ReadonlySet<string> = new Set(RULES.filter((r) => r.anchorGate).map((r) => r.id));
