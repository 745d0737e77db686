import { afterEach, describe, expect, it } from "vitest";
import { collectCommit, collectStaged } from "../src/commit/generate/changes.js";
import { extractFeatures, modelType } from "../src/commit/generate/offline.js";
import {
  applyRewrites,
  blameRewrites,
  parseBlamePorcelain,
  rewriteFeatures,
  rewritesOfCommit,
  rewrittenRanges,
  summariseBlame,
  type RewriteModel,
} from "../src/commit/generate/rewrites.js";
import { REWRITE_FEATURES, REWRITE_MODEL } from "../src/commit/generate/rewrite-weights.js";
import { Vocabulary } from "../src/commit/generate/vocabulary.js";
import { makeRepo, type TempRepo } from "./helpers/repo.js";

const repos: TempRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

const DAY = 86400;
const T0 = 1_700_000_000; // fixed commit times, so ages are exact
const iso = (t: number) => `${new Date(t * 1000).toISOString().slice(0, 19)}Z`;

const LOGIN_V1 = [
  "export function login(user: string) {",
  "  const ok = user.length > 0;",
  "  return ok;",
  "}",
  "",
].join("\n");

const LOGIN_V2 = LOGIN_V1.replace("user.length > 0", "user.trim().length > 0").replace(
  "return ok;",
  "return ok && user !== 'guest';",
);

/**
 * History: a feature written long ago by another author, then a recent feat by the author, both in
 * src/login.ts; lines 2-3 last written by the recent feat, line 1 and 4 by the old one.
 */
function history(): TempRepo {
  const repo = makeRepo();
  repos.push(repo);
  repo.commit(
    "(feat) add the login form",
    { "src/login.ts": LOGIN_V1 },
    {
      date: iso(T0 - 400 * DAY),
      author: "Other <other@example.invalid>",
    },
  );
  repo.commit("(feat) check the user name", { "src/login.ts": LOGIN_V2 }, { date: iso(T0 - 3 * DAY) });
  return repo;
}

describe("rewrite evidence from git blame", () => {
  it("a change that edits lines of a recent feat: blamed to it, recent, by the same author", async () => {
    const repo = history();
    repo.write(
      "src/login.ts",
      LOGIN_V1.replace("user.length > 0", "user?.trim().length > 0").replace("return ok;", "return ok ?? false;"),
    );
    repo.git("add", "-A");
    const change = await collectStaged(repo.dir);
    const file = change.files[0]!;
    expect(file.oldHunks).toEqual([[2, 2]]);
    expect(rewrittenRanges(file)).toEqual([[2, 3]]);
    const e = await blameRewrites(repo.dir, "HEAD", change, T0, "author@example.invalid");
    expect(e.lines).toBe(2);
    expect(e.feat).toBe(1);
    expect(e.fix).toBe(0);
    expect(e.recent).toBe(1);
    expect(e.week).toBe(1);
    expect(e.old).toBe(0);
    expect(e.self).toBe(1);
    expect(e.selfRecent).toBe(1);
    const x = rewriteFeatures(change, e);
    expect(x.blamed).toBe(1);
    expect(x.nullChecks).toBeGreaterThan(0);
    expect(x.insertHunks).toBe(0);
  });

  it("an insertion blames the line it follows; old lines of another author count as old, not self", async () => {
    const repo = history();
    repo.write("src/login.ts", LOGIN_V2.replace("}\n", "}\nexport const LOGIN_ROUTE = { path: '/login' };\n"));
    repo.git("add", "-A");
    const change = await collectStaged(repo.dir);
    expect(change.files[0]!.oldHunks?.[0]?.[1]).toBe(0); // pure insertion
    const e = await blameRewrites(repo.dir, "HEAD", change, T0, "author@example.invalid");
    expect(e.lines).toBe(1); // the closing brace, written 400 days before
    expect(e.old).toBe(1);
    expect(e.self).toBe(0);
    const x = rewriteFeatures(change, e);
    expect(x.insertHunks).toBe(1);
    expect(x.routes).toBe(0.5);
  });

  it("a historical commit is blamed against its parent at its own time", async () => {
    const repo = history();
    const sha = repo.commit("(fix) reject empty names", {
      "src/login.ts": LOGIN_V1.replace("return ok;", "return ok && user !== '';"),
    });
    const change = await collectCommit(repo.dir, sha);
    const x = await rewritesOfCommit(repo.dir, sha, change);
    expect(x.rwFeat).toBe(1);
    expect(x.blamed).toBe(1);
  });

  it("new files, binary files and files git cannot blame give no blamed lines", async () => {
    const repo = history();
    repo.write("src/new.ts", "export const x = 1;\n");
    repo.write("translations/en.json", '{\n  "login": "Log in",\n  "logout": "Log out"\n}\n');
    repo.git("add", "-A");
    const change = await collectStaged(repo.dir);
    const e = await blameRewrites(repo.dir, "HEAD", change);
    expect(e.lines).toBe(0);
    const x = rewriteFeatures(change, e);
    expect(x.blamed).toBe(0);
    expect(x.i18nKeys).toBe(0.4); // two new keys, of at most five
    // against a revision that does not exist every blame fails, and the evidence is empty, not an error
    repo.write("src/login.ts", LOGIN_V1.replace("return ok;", "return !!ok;"));
    repo.git("add", "-A");
    expect((await blameRewrites(repo.dir, "0".repeat(40), await collectStaged(repo.dir))).lines).toBe(0);
  });

  it("parses porcelain output and reads types from any header family", () => {
    const a = "a".repeat(40);
    const b = "b".repeat(40);
    const text = [
      `${a} 1 1 2`,
      "author A",
      "author-mail <A@x.invalid>",
      `author-time ${T0 - 10 * DAY}`,
      "summary fix(login): handle empty names",
      "filename src/login.ts",
      "\tline one",
      `${a} 2 2`,
      "\tline two",
      `${b} 5 3 1`,
      "author B",
      "author-mail <b@x.invalid>",
      `author-time ${T0 - 500 * DAY}`,
      "summary [REFACTOR] split the form",
      "filename src/login.ts",
      "\tline three",
      "",
    ].join("\n");
    const lines = parseBlamePorcelain(text);
    expect(lines.map((l) => l.sha)).toEqual([a, a, b]);
    expect(lines[0]!.mail).toBe("a@x.invalid");
    const e = summariseBlame(lines, T0, "a@x.invalid");
    expect(e.fix).toBeCloseTo(2 / 3);
    expect(e.refactor).toBeCloseTo(1 / 3);
    expect(e.recent).toBeCloseTo(2 / 3);
    expect(e.old).toBeCloseTo(1 / 3);
    expect(e.self).toBeCloseTo(2 / 3);
    expect(summariseBlame([], T0).lines).toBe(0);
  });
});

describe("the rewrite term on the type model", () => {
  it("moves probabilities log-linearly and renormalises; types without weights keep their ratio", () => {
    const model: RewriteModel = { features: ["rwFeat"], weights: { fix: [Math.log(4)] } };
    const p = applyRewrites({ fix: 0.2, feat: 0.4, chore: 0.4 }, { rwFeat: 1 }, model);
    expect(p.fix! / p.feat!).toBeCloseTo(2, 6);
    expect(p.feat! / p.chore!).toBeCloseTo(1, 6);
    expect(Object.values(p).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(applyRewrites({ fix: 0.2, feat: 0.8 }, {}, model)).toEqual({ fix: 0.2, feat: 0.8 });
  });

  it("modelType applies the term only when rewrite evidence is given, and says when it changed the type", async () => {
    const repo = history();
    repo.write("src/login.ts", LOGIN_V1.replace("return ok;", "return ok && user !== '';"));
    repo.git("add", "-A");
    const f = extractFeatures(await collectStaged(repo.dir));
    const vocab = new Vocabulary();
    for (let i = 0; i < 15; i++) {
      vocab.add(`fix(login): case ${i}`, ["src/login.ts"], ["M"]);
      vocab.add(`feat(login): add ${i}`, [`src/new${i}.ts`], ["A"]);
    }
    const plain = modelType(f, vocab);
    const other = Object.keys(plain.probabilities).find((t) => t !== plain.type && ["feat", "fix"].includes(t))!;
    const strong: RewriteModel = { features: ["blamed"], weights: { [other]: [20] } };
    const moved = modelType(f, vocab, [], undefined, { rewrites: { blamed: 1 }, rewriteModel: strong });
    expect(moved.type).toBe(other);
    expect(moved.reasons.join("\n")).toMatch(/existing lines it rewrites.*→/);
    // the shipped coefficients are near zero: they do not change this decision
    expect(modelType(f, vocab, [], undefined, { rewrites: { blamed: 1, rwFeat: 1 } }).type).toBe(plain.type);
    expect(REWRITE_MODEL.features).toEqual([...REWRITE_FEATURES]);
    for (const w of Object.values(REWRITE_MODEL.weights)) expect(w).toHaveLength(REWRITE_FEATURES.length);
  });
});
