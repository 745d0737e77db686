/**
 * Every command shown in a shell code block of README.md and docs/*.md runs here, for real: the
 * built CLI (dist/cli.js, as `gitops-health` and `npx --no-install gitops-health` on PATH) in a fresh
 * git repository with an `origin`, a HOME and a ledger of its own, offline. A command that exits
 * with a code its block does not allow (2, a usage error, always fails), or prints a stack trace,
 * fails the test, naming file:line.
 *
 * A block is annotated by an HTML comment on the line before its opening fence (invisible when
 * rendered), read here:
 *   <!-- docs-run: skip: REASON -->            cannot run here (docker, kubectl, a network service,
 *                                              a second person's key...): counted and listed as skipped
 *   <!-- docs-run: setup=ledger,checks exit=0,1 -->
 *                                              named preparations (SETUPS below) and the exit codes
 *                                              the block's commands may end with (default 0; 1 is
 *                                              "findings" or "gate failed", documented outcomes)
 * An unannotated block runs with exit 0 required. Variables the docs use: $KEY (an HMAC key),
 * $VKEY (the verifier key `audit keygen` printed: read from the key it wrote).
 */
import { describe, expect, it } from "vitest";
import { spawnSync, execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "./helpers/repo.js";
import { openLedger } from "../src/audit/index.js";

const root = join(import.meta.dirname, "..");
const CLI = join(root, "dist", "cli.js");
const DOCS = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => join("docs", f)),
];

interface Block {
  where: string;
  skip?: string;
  setups: string[];
  exits: number[];
  /** logical lines (continuations joined), each with its file line */
  lines: { line: number; text: string }[];
}

const ANNOTATION = /^<!--\s*docs-run:\s*(.*?)\s*-->\s*$/;

/** Shell blocks of a markdown file with their annotations. */
function shellBlocks(file: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let cur: Block | undefined;
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^\s*```/.test(l)) {
      if (inFence) {
        inFence = false;
        if (cur) blocks.push(cur);
        cur = undefined;
        continue;
      }
      inFence = true;
      if (!/^\s*```(sh|bash|shell|console)\s*$/.test(l)) continue;
      const note = ANNOTATION.exec((lines[i - 1] ?? "").trim())?.[1] ?? "";
      const skip = /^skip:\s*(.+)$/.exec(note)?.[1];
      const setups = /(?:^|\s)setup=([\w,-]+)/.exec(note)?.[1]?.split(",") ?? [];
      const exits = /(?:^|\s)exit=([\d,]+)/.exec(note)?.[1]?.split(",").map(Number) ?? [0];
      if (note && !skip && !/^(\s*(setup|exit)=\S+)+\s*$/.test(note))
        throw new Error(`${file}:${i}: unreadable docs-run annotation "${note}"`);
      cur = { where: `${file}:${i + 1}`, skip, setups, exits, lines: [] };
      continue;
    }
    if (!cur) continue;
    let t = l;
    const start = i;
    while (t.endsWith("\\") && i + 1 < lines.length) t = t.slice(0, -1) + " " + lines[++i]!.trim();
    if (t.trim() && !t.trim().startsWith("#")) cur.lines.push({ line: start + 1, text: t.trim() });
  }
  return blocks;
}

interface Sandbox {
  dir: string;
  repo: string;
  env: Record<string, string>;
  /** run after each line of the block, with its text */
  after: ((text: string) => void)[];
  cli(args: string[], input?: string): string;
}

/** Named preparations a block asks for (after the base: a repository with an origin, HOME, PATH). */
const SETUPS: Record<string, (s: Sandbox) => void | Promise<void>> = {
  /** files the scan and sanitize examples read: synthetic PHI in notes.txt, prompts for jsonl */
  files(s) {
    writeFileSync(
      join(s.repo, "notes.txt"),
      "Patient John Smith, SSN 123-45-6789, seen 03/04/2021, phone (617) 432-1234.\n",
    );
    writeFileSync(
      join(s.repo, "prompts.jsonl"),
      '{"id":"1","text":"summarise the release notes"}\n{"id":"2","text":"patient John Smith, MRN 12345678"}\n',
    );
  },
  /** 45 ledger entries (audit prove 12, prove --consistency 10 42); the block makes its own key */
  async entries(s) {
    const ledger = await openLedger(undefined, { cwd: s.repo });
    try {
      await ledger.appendBatch(
        Array.from({ length: 45 }, (_, i) => ({
          type: "deployment",
          subject: `v1.3.${i}`,
          actor: "ci@example.invalid",
          payload: { env: "staging" },
        })),
      );
    } finally {
      await ledger.close();
    }
    // checkpoints an auditor kept, signed by the key the block makes: old.txt as soon as it exists,
    // new.txt and auditor-copy.txt as copies of the block's own checkpoint.txt
    s.after.push((text) => {
      if (/audit keygen/.test(text)) writeFileSync(join(s.repo, "old.txt"), s.cli(["audit", "checkpoint"]));
      if (/checkpoint > checkpoint\.txt/.test(text))
        for (const f of ["new.txt", "auditor-copy.txt"]) cpSync(join(s.repo, "checkpoint.txt"), join(s.repo, f));
    });
  },
  /** a signing key and ledger entries (audit checkpoint, report) */
  async ledger(s) {
    s.cli(["audit", "keygen", "--origin", "example.org/ehr-ledger"]);
    await SETUPS.entries!(s);
    s.after.length = 0;
  },
  /** policy tests (in the default directory too), a commit message, an `npm test` that passes, a producer key in the environment (as CI has) */
  policy(s) {
    for (const to of ["examples/policy-tests", ".gitops-health/policy-tests"])
      cpSync(join(root, "examples", "policy-tests"), join(s.repo, to), { recursive: true });
    writeFileSync(join(s.repo, ".git", "COMMIT_EDITMSG"), "feat(api): add the appointments endpoint\n");
    writeFileSync(join(s.repo, "package.json"), '{"name":"svc","private":true,"scripts":{"test":"node -e 0"}}\n');
    const key = join(s.dir, "ci.key");
    s.cli(["audit", "keygen", "--origin", "ci.example.org", "--key-file", key]);
    s.env.GITOPS_HEALTH_EVIDENCE_KEY = key;
  },
  /** the checks `check run NAME` runs, an `npm test` that passes */
  checks(s) {
    writeFileSync(join(s.repo, "package.json"), '{"name":"svc","private":true,"scripts":{"test":"node -e 0"}}\n');
    writeFileSync(join(s.repo, ".gitops-health.yml"), `checks:\n  lint: "node -e 0"\n  test: "node -e 0"\n`);
  },
  /** something staged (risk score --staged) */
  staged(s) {
    writeFileSync(join(s.repo, "src", "billing.ts"), "export const total = (a: number) => a * 2;\n");
    execFileSync("git", ["add", "src/billing.ts"], { cwd: s.repo, env: { ...process.env, ...s.env } });
  },
};

function gitIn(cwd: string, env: Record<string, string>, args: string[]): void {
  execFileSync("git", args, { cwd, env: { ...process.env, ...env }, stdio: "ignore" });
}

function makeSandbox(): Sandbox {
  const dir = makeTempDir("gh-docs-run-");
  const repo = join(dir, "repo");
  const bin = join(dir, "bin");
  mkdirSync(join(repo, "src"), { recursive: true });
  mkdirSync(bin);
  mkdirSync(join(dir, "home"));
  writeFileSync(join(bin, "gitops-health"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  // `npx --no-install gitops-health ...` / `npx gitops-health ...` as the docs show them: the local install
  writeFileSync(
    join(bin, "npx"),
    `#!/bin/sh\n[ "$1" = "--no-install" ] && shift\n[ "$1" = "gitops-health" ] && { shift; exec "${join(bin, "gitops-health")}" "$@"; }\necho "docs-run: npx $* is not offline" >&2; exit 127\n`,
  );
  for (const f of ["gitops-health", "npx"]) chmodSync(join(bin, f), 0o755);
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: join(dir, "home"),
    NO_COLOR: "1",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Dana Dev",
    GIT_AUTHOR_EMAIL: "dana@example.invalid",
    GIT_COMMITTER_NAME: "Dana Dev",
    GIT_COMMITTER_EMAIL: "dana@example.invalid",
    KEY: "0123456789abcdef0123456789abcdef",
  };
  for (const k of Object.keys(process.env))
    if (k.startsWith("GITOPS_HEALTH_") && k !== "GITOPS_HEALTH_TEST_PG") env[k] = "";
  // history: main pushed to a bare origin, then a feature commit (origin/main..HEAD is one change)
  gitIn(dir, env, ["init", "-q", "--bare", "-b", "main", "origin.git"]);
  gitIn(repo, env, ["init", "-q", "-b", "main"]);
  gitIn(repo, env, ["config", "user.name", "Dana Dev"]);
  gitIn(repo, env, ["config", "user.email", "dana@example.invalid"]);
  gitIn(repo, env, ["config", "commit.gpgsign", "false"]);
  writeFileSync(join(repo, "README.md"), "# svc\n");
  writeFileSync(join(repo, "src", "app.ts"), "export const app = 1;\n");
  gitIn(repo, env, ["add", "-A"]);
  gitIn(repo, env, ["commit", "-q", "-m", "chore: init"]);
  for (let i = 1; i <= 3; i++) {
    writeFileSync(join(repo, "src", `f${i}.ts`), `export const f${i} = ${i};\n`);
    gitIn(repo, env, ["add", "-A"]);
    gitIn(repo, env, ["commit", "-q", "-m", `feat: feature ${i}`]);
  }
  gitIn(repo, env, ["remote", "add", "origin", join(dir, "origin.git")]);
  gitIn(repo, env, ["push", "-q", "origin", "main"]);
  writeFileSync(join(repo, "src", "appointments.ts"), "export const slots = [9, 10, 11];\n");
  gitIn(repo, env, ["add", "-A"]);
  gitIn(repo, env, ["commit", "-q", "-m", "feat(api): appointment slots"]);
  const sandbox: Sandbox = {
    dir,
    repo,
    env,
    after: [],
    cli(args, input) {
      const r = spawnSync(process.execPath, [CLI, ...args], {
        cwd: repo,
        env: { ...process.env, ...env },
        input,
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`setup: gitops-health ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
      return r.stdout;
    },
  };
  return sandbox;
}

/** $VKEY: the verifier key of the signer key `audit keygen` wrote under HOME (the docs' "$VKEY"). */
function verifierKey(s: Sandbox): string {
  const keys = join(s.env.HOME!, ".config", "gitops-health", "keys");
  if (!existsSync(keys)) return "";
  const pub = readdirSync(keys).find((f) => f.endsWith(".key.pub"));
  return pub ? readFileSync(join(keys, pub), "utf8").trim() : "";
}

interface Outcome {
  ran: number;
  failures: string[];
}

async function runBlock(b: Block): Promise<Outcome> {
  const s = makeSandbox();
  const failures: string[] = [];
  let ran = 0;
  try {
    for (const name of b.setups) {
      const setup = SETUPS[name];
      if (!setup) throw new Error(`${b.where}: no docs-run setup "${name}" (have: ${Object.keys(SETUPS).join(", ")})`);
      await setup(s);
    }
    for (const { line, text } of b.lines) {
      // one shell per line, but what a line exports (and its working directory) carries over, as in a terminal
      const script = `set -a; [ -f "$DOCS_RUN_STATE" ] && . "$DOCS_RUN_STATE"; set +a; VKEY="$DOCS_RUN_VKEY"; cd "$DOCS_RUN_CWD"\n${text}\nrc=$?; export -p > "$DOCS_RUN_STATE"; pwd > "$DOCS_RUN_STATE.cwd"; exit $rc`;
      const cwdFile = join(s.dir, "state.cwd");
      const r = spawnSync("bash", ["-o", "pipefail", "-c", script], {
        cwd: s.repo,
        env: {
          ...process.env,
          ...s.env,
          VKEY: verifierKey(s),
          DOCS_RUN_VKEY: verifierKey(s),
          DOCS_RUN_STATE: join(s.dir, "state"),
          DOCS_RUN_CWD: existsSync(cwdFile) ? readFileSync(cwdFile, "utf8").trim() : s.repo,
        },
        encoding: "utf8",
        timeout: 120_000,
      });
      for (const hook of s.after) hook(text);
      ran++;
      const where = `${b.where.split(":")[0]}:${line}`;
      const tail = (r.stderr || r.stdout || "").trim().split("\n").slice(-3).join(" | ");
      if (r.status === null) failures.push(`${where}: \`${text}\` did not finish (${r.signal ?? r.error?.message})`);
      else if (!b.exits.includes(r.status) || r.status === 2)
        failures.push(`${where}: \`${text}\` exited ${r.status} (allowed ${b.exits.join(",")}): ${tail}`);
      else if (/\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr))
        failures.push(`${where}: \`${text}\` printed a stack trace: ${tail}`);
    }
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
  return { ran, failures };
}

const blocks = DOCS.flatMap((f) => shellBlocks(f, readFileSync(join(root, f), "utf8")));

describe("every documented command runs", () => {
  it("finds the shell blocks and their annotations", () => {
    expect(blocks.length).toBeGreaterThan(20);
    expect(blocks.filter((b) => !b.skip).length).toBeGreaterThan(5);
    for (const b of blocks) if (b.skip) expect(b.skip.length, `${b.where}: a skip needs a reason`).toBeGreaterThan(10);
  });

  for (const b of blocks) {
    const title = `${b.where}: ${b.lines[0]?.text.slice(0, 60) ?? "(empty)"}`;
    if (b.skip) {
      it.skip(`${title} — skipped: ${b.skip}`, () => {});
      continue;
    }
    it(title, { timeout: 600_000 }, async () => {
      const { ran, failures } = await runBlock(b);
      expect(failures).toEqual([]);
      expect(ran).toBe(b.lines.length);
    });
  }

  it("reports how many ran and how many were skipped, with reasons", () => {
    const skipped = blocks.filter((b) => b.skip);
    const lines = blocks.reduce((n, b) => n + b.lines.length, 0);
    const skippedLines = skipped.reduce((n, b) => n + b.lines.length, 0);
    console.log(
      `docs-run: ${blocks.length - skipped.length} blocks (${lines - skippedLines} commands) run; ${skipped.length} blocks (${skippedLines} commands) skipped:\n` +
        skipped.map((b) => `  ${b.where}: ${b.skip}`).join("\n"),
    );
    expect(skipped.length).toBeLessThan(blocks.length);
  });
});
