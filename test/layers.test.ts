// The layering of docs/ARCHITECTURE.md, enforced: the ESLint layer rules (eslint.config.js) fail on
// planted violations, and the directories of src/ import each other without cycles.
import { describe, expect, it } from "vitest";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { makeTempDir } from "./helpers/repo.js";
// @ts-expect-error: eslint.config.js is plain JavaScript without declarations
import { layerConfig } from "../eslint.config.js";

const ROOT = resolve(import.meta.dirname, "..");

/** Relative imports of a TypeScript file (static, re-exports and import()), type-only ones left out. */
function importsOf(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly =
        c?.isTypeOnly ||
        (c &&
          !c.name &&
          c.namedBindings &&
          ts.isNamedImports(c.namedBindings) &&
          c.namedBindings.elements.length > 0 &&
          c.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push(n.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      if (!n.isTypeOnly) out.push(n.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(n) &&
      n.expression.kind === ts.SyntaxKind.ImportKeyword &&
      n.arguments[0] &&
      ts.isStringLiteral(n.arguments[0])
    ) {
      out.push(n.arguments[0].text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out.filter((s) => s.startsWith("."));
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

const nested = (a: string, b: string) => a === "." || b === "." || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/**
 * Directory → directories it imports from, with one example each. Each directory of any depth is
 * its own node (src/commit/generate/ may use src/risk/, which uses src/commit/); imports between a
 * directory and its own subdirectories are its inner arrangement and left out.
 */
export function directoryGraph(src: string): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const f of tsFiles(src)) {
    const from = relative(src, dirname(f)) || ".";
    for (const spec of importsOf(f)) {
      const target = resolve(dirname(f), spec);
      if (!target.startsWith(src)) continue;
      const to = relative(src, dirname(target)) || ".";
      if (to === from || nested(from, to)) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      if (!graph.get(from)!.has(to)) graph.get(from)!.set(to, `${relative(src, f)} imports ${spec}`);
    }
  }
  return graph;
}

/** Strongly connected components with more than one node (Tarjan). */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return out;
}

describe("directories of src/ import each other without cycles", () => {
  it("has no directory-level import cycle (type-only imports aside)", () => {
    const graph = directoryGraph(join(ROOT, "src"));
    const found = cycles(graph).map((scc) =>
      scc
        .flatMap((a) => scc.filter((b) => graph.get(a)?.has(b)).map((b) => `${a} -> ${b} (${graph.get(a)!.get(b)})`))
        .join("; "),
    );
    expect(found).toEqual([]);
  });

  it("finds a planted cycle", () => {
    const src = join(makeTempDir("gh-layers-"), "src");
    for (const [f, text] of Object.entries({
      "a/x.ts": 'import { y } from "../b/y.js";\nexport const x = y;\n',
      "b/y.ts": 'export const y = 1;\nexport const z = () => import("../a/x.js");\n',
    })) {
      mkdirSync(dirname(join(src, f)), { recursive: true });
      writeFileSync(join(src, f), text);
    }
    expect(cycles(directoryGraph(src))).toEqual([["a", "b"]]);
  });
});

describe("the ESLint layer rules", () => {
  const planted: Record<string, string> = {
    "src/cli/output.ts": "export const say = (s: string) => s;\n",
    "src/server/app.ts": 'import { say } from "../cli/output.js";\nexport const app = say;\n',
    "src/core/errors.ts": 'import { scan } from "../scan/index.js";\nexport const e = scan;\n',
    "src/config/load.ts": 'import { scan } from "../scan/index.js";\nexport const l = scan;\n',
    "src/phi/engine.ts": 'import { scan } from "../scan/index.js";\nexport const p = scan;\n',
    "src/scan/index.ts":
      'import { say } from "../cli/output.js";\nexport const scan = () => say(process.env.GITOPS_HEALTH_X ?? "");\n',
    "src/newdomain/a.ts":
      'import { b } from "./b.js";\nimport { app } from "../server/app.js";\nexport const a = () => b() + app("");\n',
    "src/newdomain/b.ts": 'import { a } from "./a.js";\nexport const b = (): string => String(a);\n',
    "src/cli/main.ts":
      'import { scan } from "../scan/index.js";\nexport const main = () => scan() + (process.env.HOME ?? "");\n',
  };

  it("reports each kind of violation, and nothing in a front that may do it", async () => {
    const root = makeTempDir("gh-layers-");
    for (const [f, text] of Object.entries(planted)) {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      writeFileSync(join(root, f), text);
    }
    const eslint = new ESLint({
      cwd: root,
      overrideConfigFile: true,
      overrideConfig: [{ files: ["**/*.ts"], languageOptions: { parser: tseslint.parser } }, ...layerConfig(root)],
    });
    const results = await eslint.lintFiles(["src/**/*.ts"]);
    const got = Object.fromEntries(
      results.map((r) => [relative(root, r.filePath), r.messages.map((m) => m.ruleId).sort()]),
    );
    expect(got).toEqual({
      "src/cli/output.ts": [],
      "src/cli/main.ts": [],
      "src/server/app.ts": ["import-x/no-restricted-paths"],
      "src/core/errors.ts": ["import-x/no-restricted-paths"],
      "src/config/load.ts": ["import-x/no-restricted-paths"],
      "src/phi/engine.ts": ["import-x/no-restricted-paths"],
      "src/scan/index.ts": ["import-x/no-restricted-paths", "no-restricted-properties"],
      "src/newdomain/a.ts": ["import-x/no-cycle", "import-x/no-restricted-paths"],
      "src/newdomain/b.ts": ["import-x/no-cycle"],
    });
  });
});
