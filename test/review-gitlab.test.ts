/**
 * `review import --gitlab` against a local fake of the GitLab REST API v4 (node:http on port 0:
 * merge request, its commits newest first, approvals, system notes, versions, group members, with
 * `x-next-page` pagination), as a library call and as the built CLI; then the gate counts what was
 * recorded. The approved commit is the merge request version current at the approval note: an
 * approval given before the last push is stale. No network.
 */
import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openLedger } from "../src/audit/index.js";
import { parseConfigText } from "../src/config/load.js";
import { complianceCheck } from "../src/policy/check.js";
import { keyFileSigner, recordReviewEvidence } from "../src/review/evidence.js";
import { fetchGitlabReviews } from "../src/review/gitlab.js";
import { makeProducer } from "./helpers/producer.js";
import { makeRepo, makeTempDir, type TempRepo } from "./helpers/repo.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const PROJECT = "acme/clinical/ehr";
const ENC = encodeURIComponent(PROJECT);
const PLANTED = "Patient Marguerite Okonkwo-Villanueva";
const DANA_GIT = "Dana Dev <dana@example.invalid>";
const DANA = { id: 101, username: "dana", name: "Dana Dev", state: "active" };
const ANN = { id: 202, username: "ann", name: "Ann Lee", state: "active" };
const RAJ = { id: 303, username: "raj", name: "Raj Rao", state: "active" };
const ZOE = { id: 404, username: "zoe", name: "Zoe Z", state: "active" };

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

interface Fake {
  url: string;
  requests: { path: string; token: string | undefined; job: string | undefined }[];
}

/** Serve `routes` (raw path without query -> JSON); arrays are paginated one item per page (`x-next-page`). */
async function fakeGitlab(routes: Record<string, unknown>): Promise<Fake> {
  const requests: Fake["requests"] = [];
  let server!: Server;
  const url = await new Promise<string>((resolve) => {
    server = createServer((req, res) => {
      const [path, query = ""] = req.url!.split("?");
      requests.push({
        path: req.url!,
        token: req.headers["private-token"] as string | undefined,
        job: req.headers["job-token"] as string | undefined,
      });
      const body = routes[path!];
      if (body === undefined) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ message: "404 Not Found" }));
        return;
      }
      if (Array.isArray(body)) {
        const page = Number(new URLSearchParams(query).get("page") ?? "1");
        res
          .writeHead(200, {
            "content-type": "application/json",
            "x-next-page": page < body.length ? String(page + 1) : "",
            "x-total": String(body.length),
          })
          .end(JSON.stringify(body.slice(page - 1, page)));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`));
  });
  cleanups.push(() => server.close());
  return { url, requests };
}

function glCommit(repo: TempRepo, sha: string, withParents = true) {
  const [parents, ae, aI, body] = repo.git("log", "-1", "--format=%P%x00%ae%x00%aI%x00%B", sha).split("\x00");
  return {
    id: sha,
    short_id: sha.slice(0, 8),
    title: body!.split("\n")[0],
    author_name: "Dana Dev",
    author_email: ae,
    authored_date: aI,
    committer_name: "Dana Dev",
    committer_email: ae,
    committed_date: aI,
    message: body,
    ...(withParents ? { parent_ids: parents!.split(" ").filter(Boolean) } : {}),
  };
}

/** Dana's two-commit merge request !5, squash-merged; Raj approved the first version, Ann the second. */
async function setup() {
  const producer = makeProducer();
  const repo = makeRepo();
  cleanups.push(() => repo.cleanup());
  repo.write(".gitops-health.yml", `classification: business\npolicy:\n  requiredChecks: []\n${producer.yaml}`);
  const base = repo.commit("chore: init", { "README.md": "x\n", ".gitlab/CODEOWNERS": "* @acme/reviewers\n" });
  repo.git("checkout", "-q", "-b", "feature");
  const c1 = repo.commit("feat: a", { "src/a.js": "1\n" }, { author: DANA_GIT });
  const c2 = repo.commit("feat: b", { "src/b.js": "2\n" }, { author: DANA_GIT });
  repo.git("checkout", "-q", "main");
  repo.git("merge", "--squash", "-q", "feature");
  const sq = repo.commit("feat: a and b", {}, { author: DANA_GIT });
  const mr = `/api/v4/projects/${ENC}/merge_requests/5`;
  const note = (author: object, body: string, at: string) => ({
    id: Math.floor(Math.random() * 1e6),
    type: null,
    body,
    author,
    created_at: at,
    system: true,
    noteable_type: "MergeRequest",
  });
  const fake = await fakeGitlab({
    [mr]: {
      id: 9005,
      iid: 5,
      project_id: 77,
      title: PLANTED,
      description: PLANTED,
      state: "merged",
      author: DANA,
      target_branch: "main",
      source_branch: "feature",
      sha: c2,
      merge_commit_sha: null,
      squash_commit_sha: sq,
      squash: true,
    },
    // Newest first, as GitLab lists them; the older one without parent_ids (read from the commit API).
    [`${mr}/commits`]: [glCommit(repo, c2), glCommit(repo, c1, false)],
    [`/api/v4/projects/${ENC}/repository/commits/${c1}`]: glCommit(repo, c1),
    [`${mr}/approvals`]: {
      iid: 5,
      approved: true,
      approvals_required: 1,
      approved_by: [{ user: ANN }, { user: RAJ }, { user: DANA }],
    },
    [`${mr}/notes`]: [
      note(DANA, `added ${PLANTED} as a comment`, "2026-12-06T08:00:00.000Z"),
      note(RAJ, "approved this merge request", "2026-12-06T08:30:00.000Z"),
      note(ZOE, "approved this merge request", "2026-12-06T08:40:00.000Z"),
      note(ZOE, "unapproved this merge request", "2026-12-06T08:50:00.000Z"),
      note(DANA, "added 1 commit", "2026-12-06T09:00:00.000Z"),
      note(ANN, "approved this merge request", "2026-12-06T09:30:00.000Z"),
      note(DANA, "approved this merge request", "2026-12-06T09:40:00.000Z"),
    ],
    [`${mr}/versions`]: [
      { id: 2, head_commit_sha: c2, base_commit_sha: base, created_at: "2026-12-06T09:00:00.000Z" },
      { id: 1, head_commit_sha: c1, base_commit_sha: base, created_at: "2026-12-06T08:00:00.000Z" },
    ],
    "/api/v4/groups/acme%2Freviewers/members/all": [ANN, ZOE],
  });
  const ledgerDir = join(makeTempDir("gh-gitlab-ledger-"), "ledger");
  const gate = async (range: string) => {
    const l = await openLedger(ledgerDir);
    try {
      const config = parseConfigText(readFileSync(join(repo.dir, ".gitops-health.yml"), "utf8"));
      return await complianceCheck({ cwd: repo.dir, config, range, ledger: l });
    } finally {
      await l.close();
    }
  };
  return { repo, base, c1, c2, sq, fake, producer, ledgerDir, gate };
}

describe("review import --gitlab (fake GitLab REST API v4)", () => {
  it("approvals with the commit each approved: Ann current, Raj stale (approved before the push), Dana self, Zoe withdrawn", async () => {
    const s = await setup();
    const got = await fetchGitlabReviews({
      project: PROJECT,
      mr: 5,
      token: "glpat-test",
      baseUrl: s.fake.url,
      groups: ["acme/reviewers"],
      now: () => new Date("2026-12-06T12:00:00Z"),
    });
    expect(got.pull).toMatchObject({
      forge: "gitlab",
      repo: PROJECT,
      number: 5,
      author: { login: "dana", id: 101 },
      state: "merged",
      head: s.c2,
      mergeCommit: s.sq,
    });
    expect(got.pull.commits!.map((c) => [c.sha, c.parents])).toEqual([
      [s.c1, [s.base]],
      [s.c2, [s.c1]],
    ]);
    expect(got.reviews.map((r) => [r.reviewer.login, r.state, r.commit])).toEqual([
      ["ann", "approved", s.c2],
      ["raj", "approved", s.c1],
      ["dana", "approved", s.c2],
      ["zoe", "dismissed", s.c1],
    ]);
    expect(got.teams).toEqual([
      expect.objectContaining({
        forge: "gitlab",
        org: "acme",
        slug: "reviewers",
        members: [
          { login: "ann", id: 202 },
          { login: "zoe", id: 404 },
        ],
      }),
    ]);
    expect(s.fake.requests.every((r) => r.token === "glpat-test")).toBe(true);
    // Paginated: every note page was read.
    expect(s.fake.requests.filter((r) => r.path.includes("/notes")).length).toBe(7);

    const l = await openLedger(s.ledgerDir);
    try {
      await recordReviewEvidence(
        l,
        [
          { kind: "pull", record: got.pull },
          ...got.reviews.map((r) => ({ kind: "review" as const, record: r })),
          ...got.teams.map((t) => ({ kind: "team" as const, record: t })),
        ],
        keyFileSigner(s.producer.keyFile, "gitops-health-producer"),
      );
    } finally {
      await l.close();
    }
    const r = await s.gate(`${s.base}..${s.sq}`);
    expect(r.rules.find((x) => x.id === "approved-by-another")!.result).toBe("pass");
    expect(r.controls.find((x) => x.id === "SOX-ITGC-CM-2")!.status).toBe("met");
    const c = r.reviews.commits[0]!;
    expect(c.pull).toMatchObject({ forge: "gitlab", number: 5, how: "squash" });
    expect(c.approvals.map((a) => [a.reviewer, a.counted])).toEqual([
      ["raj", false],
      ["ann", true],
      ["dana", false],
    ]);
    expect(c.approvals.find((a) => a.reviewer === "raj")!.reason).toContain("stale");
    expect(c.approvals.find((a) => a.reviewer === "dana")!.reason).toContain("self-approval");
    // Titles, descriptions and note bodies are never copied into the ledger.
    for (const f of readdirSync(s.ledgerDir))
      if (f.endsWith(".log")) expect(readFileSync(join(s.ledgerDir, f), "utf8")).not.toContain("Okonkwo");
  });

  it("an approver GitLab gives no note or version for is not recorded (nothing guessed); forge errors are UserErrors", async () => {
    const s = await setup();
    const mr = `/api/v4/projects/${ENC}/merge_requests/6`;
    const fake = await fakeGitlab({
      [mr]: { iid: 6, state: "opened", author: DANA, target_branch: "main", sha: s.c2 },
      [`${mr}/commits`]: [glCommit(s.repo, s.c2)],
      [`${mr}/approvals`]: { approved_by: [{ user: ANN }] },
      [`${mr}/notes`]: [],
      [`${mr}/versions`]: [],
    });
    const got = await fetchGitlabReviews({ project: PROJECT, mr: 6, baseUrl: fake.url, token: "j", tokenKind: "job" });
    expect(got.reviews).toEqual([]);
    expect(got.unresolved).toEqual(["ann"]);
    expect(fake.requests[0]!.job).toBe("j");
    await expect(fetchGitlabReviews({ project: PROJECT, mr: 99, baseUrl: fake.url })).rejects.toThrow(
      `GitLab has no ${PROJECT}!99 visible to this token (404)`,
    );
  });

  it("as the built CLI: records signed evidence; usage errors exit 2 in one line", { timeout: 120_000 }, async () => {
    const s = await setup();
    const ledger = join(makeTempDir("gh-gitlab-cli-"), "ledger");
    const env = {
      GITLAB_TOKEN: "glpat-cli",
      GITOPS_HEALTH_EVIDENCE_KEY: s.producer.keyFile,
      GITOPS_HEALTH_LEDGER: ledger,
    };
    const ok = await runCli(
      [
        "review",
        "import",
        "--gitlab",
        "--repo",
        PROJECT,
        "--pr",
        "5",
        "--api-url",
        s.fake.url,
        "--codeowners-rev",
        s.base,
      ],
      { cwd: s.repo.dir, env },
    );
    expect(ok.stderr).toContain(`recorded ${PROJECT}#5 (merged`);
    expect(ok.code).toBe(0);
    expect(s.fake.requests.some((r) => r.path.startsWith("/api/v4/groups/acme%2Freviewers/members/all"))).toBe(true);
    for (const args of [
      ["review", "import", "--gitlab", "--github", "--repo", PROJECT, "--pr", "5"],
      ["review", "import", "--gitlab", "--repo", "acme/../x", "--pr", "5"],
    ]) {
      const bad = await runCli(args, { cwd: s.repo.dir, env });
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

function runCli(
  args: string[],
  o: { cwd: string; env: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: o.cwd,
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", NO_COLOR: "1", ...o.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
