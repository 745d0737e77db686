import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { git } from "../git/exec.js";
import type { Config } from "../config/schema.js";
import { CONVENTIONAL_COMMITS, inferConvention, withOverride, type Convention } from "./convention.js";

/** Headers read to infer a repository's convention (the most recent non-merge commits). */
export const CONVENTION_HISTORY = 1000;

/** The newest non-merge headers reachable from `rev`. */
export async function recentHeaders(cwd: string, rev = "HEAD", n = CONVENTION_HISTORY): Promise<string[]> {
  const out = await git(["log", "--no-merges", "--format=%s", "-n", String(n), rev, "--"], { cwd }).catch(() => "");
  return out.split("\n").filter(Boolean);
}

/**
 * Types a commitlint config allows (`type-enum`), read without loading commitlint: JSON and YAML
 * `.commitlintrc` files and `package.json#commitlint`. JavaScript configs are not executed here;
 * they extend config-conventional in practice, whose types are the default.
 */
export async function commitlintTypes(root: string): Promise<{ source: string; types?: string[] } | undefined> {
  // Loaded on demand: risk scoring (the hooks) never needs the commitlint side.
  const { findCommitlintConfig } = await import("./lint.js");
  const found = findCommitlintConfig(root);
  if (!found) return undefined;
  const [file, key] = found.split("#");
  let text = "";
  try {
    text = readFileSync(file!, "utf8");
  } catch {
    return { source: found };
  }
  let types: string[] | undefined;
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    const cfg = (key ? json[key] : json) as { rules?: Record<string, unknown[]> } | undefined;
    const v = cfg?.rules?.["type-enum"]?.[2];
    if (Array.isArray(v)) types = v.map(String);
  } catch {
    // YAML or JS: a literal type-enum list, if written inline
    const m = /type-enum['"]?\s*[:=]\s*\[\s*\d\s*,\s*['"](?:always|never)['"]\s*,\s*\[([^\]]*)\]/.exec(text);
    if (m) types = [...m[1]!.matchAll(/['"]([\w-]+)['"]/g)].map((x) => x[1]!);
  }
  return { source: found.startsWith(root) ? found.slice(root.length + 1) : found, types };
}

/**
 * Types a PR-title check allows: a GitHub workflow using `amannn/action-semantic-pull-request` with a
 * `types:` list (block scalar, one per line). Squash-merged repositories enforce their convention there.
 */
export function prTitleTypes(root: string): { source: string; types: string[] } | undefined {
  const dir = join(root, ".github", "workflows");
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  } catch {
    return undefined;
  }
  for (const f of files) {
    let text = "";
    try {
      text = readFileSync(join(dir, f), "utf8");
    } catch {
      continue;
    }
    if (!text.includes("action-semantic-pull-request")) continue;
    const m = /^([ \t]*)types:[ \t]*[|>][-+]?[ \t]*\n((?:\1[ \t]+[\w-]+[ \t]*(?:\n|$))+)/m.exec(text);
    if (m)
      return {
        source: `.github/workflows/${f}`,
        types: m[2]!
          .split("\n")
          .map((l) => l.trim())
          .filter(Boolean),
      };
  }
  return undefined;
}

/**
 * The repository's commit convention: `.gitops-health.yml` (`commits:`) over its commitlint config
 * over its PR-title check over what its history says. A repository with no usable history gets Conventional Commits.
 */
export async function repoConvention(
  cwd: string,
  config?: Pick<Config, "commits">,
  opts: { rev?: string; headers?: string[]; commitlint?: boolean } = {},
): Promise<Convention> {
  const override = config?.commits;
  if (override?.style && override.types) return withOverride(CONVENTIONAL_COMMITS, override);
  const cl = opts.commitlint === false ? undefined : await commitlintTypes(cwd);
  let base: Convention;
  const pr = cl ? undefined : prTitleTypes(cwd);
  if (cl)
    base = {
      ...CONVENTIONAL_COMMITS,
      types: cl.types?.map((t) => t.toLowerCase()) ?? CONVENTIONAL_COMMITS.types,
      source: `commitlint (${cl.source})`,
    };
  else if (pr && opts.commitlint !== false)
    base = {
      ...CONVENTIONAL_COMMITS,
      types: pr.types.map((t) => t.toLowerCase()),
      source: `PR-title check (${pr.source})`,
    };
  else {
    const headers = opts.headers ?? (await recentHeaders(cwd, opts.rev));
    base = headers.length >= 20 ? inferConvention(headers) : CONVENTIONAL_COMMITS;
  }
  return withOverride(base, override);
}
