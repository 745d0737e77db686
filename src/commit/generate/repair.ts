// Deterministic repairs of generated messages for what commitlint rejects (src/commit/lint.ts).
import { formatMessage, type CommitMessage } from "../message.js";
import { lintMessage, ruleValue, type LintResult, type LintSetup } from "../lint.js";

/**
 * Deterministic repairs for what commitlint rejects: lowercase type, allowed type and scope,
 * trimmed subject without a trailing period or leading capital, header and lines cut to the limits.
 */
export function repairMessage(m: CommitMessage, setup: LintSetup): CommitMessage {
  const out: CommitMessage = { ...m, body: [...m.body], trailers: [...m.trailers] };
  out.type = out.type.trim().toLowerCase();
  const typeEnum = ruleValue<string[]>(setup, "type-enum");
  if (
    typeEnum?.when === "always" &&
    Array.isArray(typeEnum.value) &&
    typeEnum.value.length &&
    !typeEnum.value.includes(out.type)
  ) {
    out.type = typeEnum.value.includes("chore") ? "chore" : typeEnum.value[0]!;
  }
  if (out.scope !== undefined) {
    out.scope = out.scope.trim().toLowerCase() || undefined;
    const scopeEnum = ruleValue<string[]>(setup, "scope-enum");
    if (out.scope && scopeEnum?.when === "always" && Array.isArray(scopeEnum.value) && scopeEnum.value.length) {
      // An unknown scope goes; a scope sharing a path segment with an allowed one maps to it.
      const hit = scopeEnum.value.find((s) => s === out.scope || out.scope!.split(/[/-]/).includes(s));
      out.scope = hit;
    }
  }
  const scopeEmpty = ruleValue(setup, "scope-empty");
  if (scopeEmpty?.when === "never" && !out.scope) {
    const scopeEnum = ruleValue<string[]>(setup, "scope-enum");
    out.scope = Array.isArray(scopeEnum?.value) && scopeEnum.value.length ? scopeEnum.value[0] : "repo";
  }
  let subject = out.subject
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[.。\s]+$/, "");
  if (/^[A-Z][a-z]/.test(subject)) subject = subject[0]!.toLowerCase() + subject.slice(1);
  if (!subject) subject = "update files";
  const headerMax = ruleValue<number>(setup, "header-max-length")?.value ?? 100;
  // A scope list that leaves no room for a subject keeps its first entry, or goes.
  if (out.scope && out.type.length + out.scope.length + 4 + 20 > headerMax) out.scope = out.scope.split(/[,\s]/)[0];
  if (out.scope && out.type.length + out.scope.length + 4 + 20 > headerMax) out.scope = undefined;
  const prefix = `${out.type}${out.scope ? `(${out.scope})` : ""}: `;
  if (prefix.length + subject.length > headerMax) {
    const room = Math.max(10, headerMax - prefix.length);
    const cut = subject.slice(0, room + 1);
    subject = (cut.lastIndexOf(" ") > room / 2 ? cut.slice(0, cut.lastIndexOf(" ")) : cut.slice(0, room)).replace(
      /[\s,.;:]+$/,
      "",
    );
  }
  const subjectMax = ruleValue<number>(setup, "subject-max-length")?.value;
  if (subjectMax && subject.length > subjectMax) subject = subject.slice(0, subjectMax).trim();
  out.subject = subject;
  const bodyMax = ruleValue<number>(setup, "body-max-line-length")?.value ?? 100;
  out.body = out.body.flatMap((l) => wrap(l, bodyMax));
  const footerMax = ruleValue<number>(setup, "footer-max-line-length")?.value ?? 100;
  out.trailers = out.trailers.map(([k, v]) => [
    k,
    k.length + 2 + v.length > footerMax ? v.slice(0, Math.max(1, footerMax - k.length - 3)) + "…" : v,
  ]);
  return out;
}

function wrap(line: string, max: number): string[] {
  if (line.length <= max) return [line];
  const out: string[] = [];
  let rest = line;
  while (rest.length > max) {
    const at = rest.lastIndexOf(" ", max);
    const cut = at > max / 2 ? at : max;
    out.push(rest.slice(0, cut).trimEnd());
    rest = "  " + rest.slice(cut).trimStart();
  }
  out.push(rest);
  return out;
}

/** Lint, repair when needed, and lint again; returns the final text and its lint result. */
export async function ensureCompliant(
  m: CommitMessage,
  setup: LintSetup,
): Promise<{ message: CommitMessage; text: string; lint: LintResult; repaired: boolean }> {
  let text = formatMessage(m);
  let lint = await lintMessage(text, setup);
  if (lint.valid) return { message: m, text, lint, repaired: false };
  const fixed = repairMessage(m, setup);
  text = formatMessage(fixed);
  lint = await lintMessage(text, setup);
  return { message: fixed, text, lint, repaired: true };
}
