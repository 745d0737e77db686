import { readFileSync } from "node:fs";
import { UserError } from "../core/errors.js";
import type { ExtraRule } from "../phi/candidate.js";
import { compileUserPattern } from "./safe-regex.js";

/**
 * Read the `[[rules]]` of a gitleaks.toml (id, regex, description) so teams can bring their
 * rules. Only the TOML subset gitleaks configs use is understood: tables, arrays of tables,
 * basic/literal/multi-line strings and string arrays. Allowlists inside rules are ignored.
 */
export function loadGitleaksRules(file: string): ExtraRule[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UserError(`cannot read gitleaks config ${file}`);
  }
  const rules: (ExtraRule | undefined)[] = [];
  let current: Record<string, string> | undefined;
  let inRules = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith("#")) continue;
    if (line.startsWith("[")) {
      if (current) rules.push(toRule(current, file));
      current = undefined;
      inRules = line === "[[rules]]";
      if (inRules) current = {};
      continue;
    }
    if (!inRules || !current) continue;
    const m = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    for (const q of ["'''", '"""']) {
      if (value.startsWith(q)) {
        let body = value.slice(3);
        while (!body.includes(q) && i + 1 < lines.length) body += "\n" + lines[++i];
        value = JSON.stringify(body.slice(0, body.indexOf(q)));
        if (q === "'''") value = JSON.stringify(JSON.parse(value));
        break;
      }
    }
    if (value.startsWith("'")) current[m[1]!] = value.slice(1, value.lastIndexOf("'"));
    else if (value.startsWith('"')) {
      try {
        current[m[1]!] = JSON.parse(value.slice(0, value.lastIndexOf('"') + 1)) as string;
      } catch {
        throw new UserError(`${file}:${i + 1}: cannot parse string value of "${m[1]}"`);
      }
    }
  }
  if (current) rules.push(toRule(current, file));
  return rules.filter((r): r is ExtraRule => r !== undefined);
}

/** A rule on the linear-time engine (gitleaks patterns are RE2 already); undefined without a regex. */
function toRule(t: Record<string, string>, file: string): ExtraRule | undefined {
  if (!t.id) throw new UserError(`${file}: a [[rules]] entry has no id`);
  if (!t.regex) return undefined;
  return {
    id: `gitleaks:${t.id}`,
    regex: compileUserPattern(t.id, t.regex),
    category: "secret",
    severity: "high",
    kind: "secret",
  };
}
