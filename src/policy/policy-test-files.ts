/** Reading policy test files: directory walk, YAML with line numbers, zod errors as file:line: field. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import { UserError } from "../core/errors.js";
import { PolicyTestFile, type CaseResult } from "./policy-test.js";
import { xmlEscape } from "./report.js";

/** Default location, next to the other per-repository files (`.gitops-health/risk-model.json`). */
export const DEFAULT_POLICY_TEST_DIR = ".gitops-health/policy-tests";

/** The *.yaml / *.yml files under `target` (a file or a directory, walked recursively), sorted. */
export function findPolicyTestFiles(target: string): string[] {
  let st;
  try {
    st = statSync(target);
  } catch {
    throw new UserError(`policy test: ${target} does not exist (default directory: ${DEFAULT_POLICY_TEST_DIR})`);
  }
  if (st.isFile()) return [target];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/i.test(e.name)) out.push(p);
    }
  };
  walk(target);
  if (out.length === 0) throw new UserError(`policy test: no *.yaml or *.yml files in ${target}`);
  return out;
}

/** Parse and validate one file; any problem is a UserError naming the file, line and field. */
export function readPolicyTestFile(path: string, cwd = process.cwd()): { name: string; test: PolicyTestFile } {
  const name = relative(cwd, path) || path;
  const text = readFileSync(path, "utf8");
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lc.linePos(e.pos[0]);
    throw new UserError(`${name}:${pos.line}:${pos.col}: invalid YAML: ${e.message.split("\n")[0]}`);
  }
  const parsed = PolicyTestFile.safeParse(doc.toJS() ?? {});
  if (parsed.success) return { name, test: parsed.data };
  // Report the deepest issue of a union (the branch the author meant), else the first issue.
  let issue = parsed.error.issues[0]!;
  while (issue.code === "invalid_union" && issue.errors.length) {
    const best = issue.errors
      .map((errs) => errs[0])
      .filter(Boolean)
      .sort((a, b) => b!.path.length - a!.path.length)[0];
    if (!best) break;
    issue = { ...best, path: [...issue.path, ...best.path] } as typeof issue;
  }
  let path_ = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p)) as (string | number)[];
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    path_ = [...path_, issue.keys[0]!];
    message = `unknown field "${issue.keys[0]}"`;
  }
  let line: number | undefined;
  for (let n = path_.length; n >= 0 && line === undefined; n--) {
    const node = doc.getIn(path_.slice(0, n), true);
    if (isNode(node) && node.range) line = lc.linePos(node.range[0]).line;
  }
  throw new UserError(`${name}${line ? `:${line}` : ""}: ${path_.length ? path_.join(".") : "(root)"}: ${message}`);
}

export function policyTestText(
  results: CaseResult[],
  color: { red(s: string): string; green(s: string): string; dim(s: string): string; bold(s: string): string },
): string {
  const lines: string[] = [];
  let file: string | undefined;
  for (const r of results) {
    if (r.file !== file) lines.push(color.bold((file = r.file)));
    lines.push(
      `  ${r.status === "pass" ? color.green("PASS") : color.red("FAIL")} ${r.name} ${color.dim(`[${r.pack}]`)}`,
    );
    for (const d of r.diff) lines.push(`       ${d}`);
  }
  const failed = results.filter((r) => r.status === "fail").length;
  lines.push(`${results.length} case(s): ${results.length - failed} passed, ${failed} failed`);
  return lines.join("\n");
}

export function policyTestJunit(results: CaseResult[]): string {
  const files = [...new Set(results.map((r) => r.file))];
  const suites = files.map((f) => {
    const rs = results.filter((r) => r.file === f);
    const cases = rs.map(
      (r) =>
        `    <testcase classname="${xmlEscape(f)}" name="${xmlEscape(r.name)}">${r.status === "fail" ? `<failure message="${xmlEscape(r.diff[0] ?? "failed")}">${xmlEscape(r.diff.join("\n"))}</failure>` : ""}</testcase>`,
    );
    return `  <testsuite name="${xmlEscape(f)}" tests="${rs.length}" failures="${rs.filter((r) => r.status === "fail").length}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  const failures = results.filter((r) => r.status === "fail").length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="gitops-health policy test" tests="${results.length}" failures="${failures}">\n${suites.join("\n")}\n</testsuites>`;
}
