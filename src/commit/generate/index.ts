import { UserError } from "../../core/errors.js";
import { git, gitSync } from "../../git/exec.js";
import type { Config } from "../../config/schema.js";
import { loadConfigFast } from "../../config/fast.js";
import { scanText } from "../../phi/index.js";
import { scoreChange, type RiskResult } from "../../risk/index.js";
import { collectStaged, type ChangeSet } from "./changes.js";
import { loadVocabulary } from "./vocabulary-cache.js";
import { blameRewrites, rewriteFeatures } from "./rewrites.js";
import { REWRITES_BY_DEFAULT } from "./rewrite-weights.js";
import {
  extractFeatures,
  generateOffline,
  inferScope,
  modelDecides,
  writeBody,
  writeSubject,
  type Inference,
  type TypeHints,
} from "./offline.js";
import { formatHeader, type CommitMessage } from "../message.js";
import { loadLintSetup, type LintResult, type LintSetup } from "../lint.js";
import { ensureCompliant } from "./repair.js";
import { assessPhi, complianceCodes, ticketFromBranch, type PhiAssessment } from "./trailers.js";
import type { Vocabulary } from "./vocabulary.js";
import { allowedType, checkHeader, formatConventionHeader, type Convention } from "../convention.js";
import { repoConvention } from "../convention-io.js";

export interface Candidate {
  text: string;
  header: string;
  message: CommitMessage;
  lint: LintResult;
  repaired: boolean;
  source: "offline" | string;
}

export interface GenerateOptions {
  cwd: string;
  /** Repository top level when the caller already knows it (saves a git call). */
  root?: string;
  configFile?: string;
  /** "offline" (default) or a provider name; overrides config (the CLI passes --provider, then GITOPS_HEALTH_LLM_PROVIDER). */
  provider?: string;
  model?: string;
  n?: number;
  /** Injected for tests (mock models); otherwise built from config and `env`. */
  languageModel?: unknown;
  /** Environment for the model provider (GITOPS_HEALTH_LLM_*, the provider's API key); the CLI passes the process environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Ledger for the gateway's `llm.call` entries (the CLI passes GITOPS_HEALTH_LEDGER); default config ledger.location. */
  ledger?: string;
  /** Key for `phi: hash` ledger screening (GITOPS_HEALTH_LEDGER_HMAC_KEY). */
  ledgerHmacKey?: string;
}

export interface GenerateResult {
  candidates: Candidate[];
  inference: Inference;
  trailers: [string, string][];
  phi: PhiAssessment;
  risk?: Pick<RiskResult, "score" | "level" | "model">;
  compliance: { codes: string[]; reasons: string[] };
  ticket?: string;
  lintConfig: string;
  provider: string;
  model?: string;
  /** Files left out of the model prompt (lockfiles, generated, binary, over budget). */
  omitted: { path: string; reason: string }[];
  notes: string[];
}

export interface ChangeContext {
  root: string;
  config: Config;
  change: ChangeSet;
  vocab: Vocabulary;
  lint: LintSetup;
  /** The repository's header convention (`.gitops-health.yml`, commitlint config or history). */
  convention?: Convention;
}

async function currentBranch(cwd: string): Promise<string | undefined> {
  try {
    return (await git(["symbolic-ref", "--quiet", "--short", "HEAD"], { cwd })).trim() || undefined;
  } catch {
    return undefined; // detached HEAD
  }
}

/** Trailers computed from facts: risk engine, scanner + critical paths, control catalog, branch. */
export async function computeTrailers(
  ctx: ChangeContext,
  symbols: string[],
  pendingRisk?: Promise<RiskResult>,
  pendingBranch?: Promise<string | undefined>,
): Promise<Pick<GenerateResult, "trailers" | "phi" | "risk" | "compliance" | "ticket" | "notes">> {
  const notes: string[] = [];
  let risk: GenerateResult["risk"];
  try {
    const r = await (pendingRisk ?? scoreChange({ cwd: ctx.root, staged: true }));
    risk = { score: r.score, level: r.level, model: r.model };
  } catch (err) {
    notes.push(`risk engine unavailable: ${(err as Error).message.split("\n")[0]}`);
  }
  const phi = assessPhi(ctx.change, (text, path) => scanText(text, { path, kinds: ["phi"] }), ctx.config.criticalPaths);
  const compliance = complianceCodes(ctx.change, symbols);
  const ticket = ticketFromBranch(await (pendingBranch ?? currentBranch(ctx.root)));
  const trailers: [string, string][] = [];
  if (risk) trailers.push(["Risk-Level", risk.level]);
  trailers.push(["PHI-Impact", phi.impact]);
  if (compliance.codes.length) trailers.push(["Compliance", compliance.codes.join(", ")]);
  if (ticket) trailers.push(["Refs", ticket]);
  return { trailers, phi, risk, compliance, ticket, notes };
}

/** zod and the YAML parser are loaded only when there is a config file to read (hooks start faster). */
async function readConfig(root: string, configFile?: string): Promise<Config> {
  return (await loadConfigFast({ cwd: root, file: configFile })).config;
}

export async function loadChangeContext(cwd: string, configFile?: string, knownRoot?: string): Promise<ChangeContext> {
  const root = knownRoot ?? gitSync(["rev-parse", "--show-toplevel"], { cwd }).trim();
  const pendingConfig = readConfig(root, configFile);
  const [config, change, vocab, lint, convention] = await Promise.all([
    pendingConfig,
    collectStaged(root),
    loadVocabulary(root),
    loadLintSetup(root),
    pendingConfig.then((c) => repoConvention(root, c)),
  ]);
  return { root, config, change, vocab, lint, convention };
}

/** Offline alternatives for `-n`: the primary message, then other plausible types and scopes. */
export function offlineCandidates(
  ctx: ChangeContext,
  n: number,
  hints: TypeHints = {},
): { messages: CommitMessage[]; inference: Inference } {
  const { message, inference } = generateOffline(ctx.change, ctx.vocab, hints);
  const out: CommitMessage[] = [message];
  const f = extractFeatures(ctx.change);
  const alternatives = ["fix", "feat", "refactor", "chore", "perf"].filter((t) => t !== message.type);
  const seen = new Set([formatHeader(message)]);
  for (const type of alternatives) {
    if (out.length >= n) break;
    const alt: CommitMessage = {
      ...message,
      type,
      scope: inferScope(type, f, ctx.vocab),
      subject: writeSubject(type, f),
      body: writeBody(f),
    };
    const h = formatHeader(alt);
    if (!seen.has(h)) {
      seen.add(h);
      out.push(alt);
    }
  }
  return { messages: out.slice(0, n), inference };
}

/** Generate `n` candidate messages for the staged change, each checked (and repaired) with commitlint. */
export async function generateCommitMessages(options: GenerateOptions): Promise<GenerateResult> {
  const root = options.root ?? gitSync(["rev-parse", "--show-toplevel"], { cwd: options.cwd }).trim();
  // The risk engine runs its own git commands: start it while the change is being read.
  const pendingRisk = scoreChange({ cwd: root, staged: true });
  pendingRisk.catch(() => undefined);
  const pendingBranch = currentBranch(root);
  const ctx = await loadChangeContext(options.cwd, options.configFile, root);
  if (ctx.change.files.length === 0) throw new UserError("nothing is staged: stage changes with `git add` first");
  const n = Math.max(1, options.n ?? 1);
  const provider = options.provider ?? ctx.config.llm.provider;
  const f = extractFeatures(ctx.change);
  // What the change rewrites in HEAD (one bounded `git blame` per source file), while the trailers are computed.
  const pendingRewrites =
    REWRITES_BY_DEFAULT && modelDecides(f)
      ? blameRewrites(root, "HEAD", ctx.change).then(
          (e) => rewriteFeatures(ctx.change, e),
          () => undefined,
        )
      : Promise.resolve(undefined);
  const facts = await computeTrailers(ctx, f.changedSymbols, pendingRisk, pendingBranch);
  const notes = [...facts.notes];
  let messages: CommitMessage[];
  let inference: Inference;
  let omitted: GenerateResult["omitted"] = [];
  let model: string | undefined;
  // The branch name states the intended type (`fix/...`) and may cite an issue of a declared bug tracker.
  const bugKeys = ctx.convention?.fixKeys ?? [];
  const hints: TypeHints = {
    branch: await pendingBranch,
    bug: facts.ticket && bugKeys.some((k) => facts.ticket!.startsWith(`${k}-`)) ? facts.ticket : undefined,
    rewrites: await pendingRewrites,
  };
  if (provider === "offline") {
    ({ messages, inference } = offlineCandidates(ctx, n, hints));
  } else {
    const { generateWithModel } = await import("./llm.js");
    const offline = generateOffline(ctx.change, ctx.vocab, hints);
    inference = offline.inference;
    const r = await generateWithModel(ctx, {
      provider,
      model: options.model,
      n,
      languageModel: options.languageModel,
      offline: offline.message,
      lint: ctx.lint,
      env: options.env,
      ledgerSpec: options.ledger,
      ledgerHmacKey: options.ledgerHmacKey,
    });
    messages = r.messages;
    omitted = r.omitted;
    model = r.model;
    notes.push(...r.notes);
  }
  // File names and model text can carry identifiers: mask them in what becomes the message
  // (model replies are masked by the gateway already; this also covers the offline generator)
  const { maskIdentifiersInText } = await import("../../scan/paths.js");
  const mask = (t: string) =>
    maskIdentifiersInText(t, (r) => scanText(r, { profile: "code" }).filter((x) => !x.synthetic));
  messages = messages.map((m) => ({ ...m, subject: mask(m.subject), body: m.body.map(mask) }));
  const candidates: Candidate[] = [];
  for (const m of messages) {
    const withTrailers: CommitMessage = {
      ...m,
      trailers: [...m.trailers.filter(([k]) => !facts.trailers.some(([t]) => t === k)), ...facts.trailers],
    };
    let c = await ensureCompliant(withTrailers, ctx.lint);
    if (!c.lint.valid && provider !== "offline") {
      notes.push(
        `model candidate "${formatHeader(m)}" fails commitlint even after repair; replaced by the offline message`,
      );
      const offline = generateOffline(ctx.change, ctx.vocab, hints).message;
      c = await ensureCompliant({ ...offline, trailers: facts.trailers }, ctx.lint);
    }
    const own =
      ctx.convention && ctx.convention.style !== "conventional"
        ? inConvention(ctx.convention, c.message, facts.ticket)
        : undefined;
    candidates.push(
      own
        ? { ...own, repaired: c.repaired, source: provider }
        : {
            text: c.text,
            header: formatHeader(c.message),
            message: c.message,
            lint: c.lint,
            repaired: c.repaired,
            source: provider,
          },
    );
  }
  const own = ctx.convention && ctx.convention.style !== "conventional" ? ctx.convention : undefined;
  if (own)
    notes.push(
      `headers follow this repository's ${own.style} convention (${own.source}), with its types${own.types.length ? `: ${own.types.join(", ")}` : ""}`,
    );
  return {
    candidates,
    inference,
    ...facts,
    notes,
    lintConfig: own ? `${own.style} convention (${own.source})` : ctx.lint.source,
    provider,
    model,
    omitted,
  };
}

/**
 * A message in a repository's own header convention (`(type) s`, `[TYPE] s`, gitmoji, tracker key,
 * free text) with one of its own types, checked against that convention rather than commitlint.
 */
export function inConvention(
  conv: Convention,
  m: CommitMessage,
  ticket?: string,
): Pick<Candidate, "text" | "header" | "message" | "lint"> {
  const message = { ...m, type: allowedType(conv, m.type, m.scope, m.subject) };
  const header = formatConventionHeader(conv, {
    ...message,
    key: conv.style === "tracker" || conv.trackerKeys.some((k) => ticket?.startsWith(`${k}-`)) ? ticket : undefined,
  });
  const errors = checkHeader(conv, header).map((e) => ({ name: "header-convention", message: e }));
  let text = header;
  if (message.body.length) text += `\n\n${message.body.join("\n")}`;
  if (message.trailers.length) text += `\n\n${message.trailers.map(([k, v]) => `${k}: ${v}`).join("\n")}`;
  return { text: text + "\n", header, message, lint: { valid: errors.length === 0, errors, warnings: [] } };
}
