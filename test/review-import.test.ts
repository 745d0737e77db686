/**
 * `review import --github` against a local fake of the GitHub REST API (node:http on port 0, the
 * endpoints and response shapes octokit calls: pulls.get, pulls.listCommits, pulls.listReviews,
 * teams.listMembersInOrg, with Link-header pagination), run as the built CLI; then the gate counts
 * what was recorded. No network.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { makeProducer } from "./helpers/producer.js";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { makeRepo, makeTempDir, type TempRepo } from "./helpers/repo.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/** The built CLI as a child process, asynchronously: the fake API lives in this process and must keep answering. */
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
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const DANA_GIT = "Dana Dev <101+dana-dev@users.noreply.github.com>";
const user = (login: string, id: number) => ({ login, id, node_id: "U_x", type: "User", site_admin: false });

interface Fake {
  url: string;
  requests: { path: string; auth: string | undefined }[];
  close(): void;
}

/** Serve `routes` (path without query -> JSON body, or an array paginated 1 item per page when `paginate`). */
async function fakeGithub(routes: Record<string, unknown>, paginate = new Set<string>()): Promise<Fake> {
  const requests: Fake["requests"] = [];
  let server: Server;
  const url = await new Promise<string>((resolve) => {
    server = createServer((req: IncomingMessage, res) => {
      const u = new URL(req.url!, "http://x");
      requests.push({ path: u.pathname + u.search, auth: req.headers.authorization });
      const body = routes[u.pathname];
      if (body === undefined) {
        res
          .writeHead(404, { "content-type": "application/json" })
          .end(JSON.stringify({ message: "Not Found", documentation_url: "https://docs.github.com/rest" }));
        return;
      }
      if (paginate.has(u.pathname) && Array.isArray(body)) {
        const page = Number(u.searchParams.get("page") ?? "1");
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (page < body.length)
          headers.link = `<http://${req.headers.host}${u.pathname}?per_page=100&page=${page + 1}>; rel="next", <http://${req.headers.host}${u.pathname}?per_page=100&page=${body.length}>; rel="last"`;
        res.writeHead(200, headers).end(JSON.stringify(body.slice(page - 1, page)));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
  return { url, requests, close: () => server.close() };
}

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function apiCommit(repo: TempRepo, sha: string) {
  const [parents, ae, aI, body] = repo.git("log", "-1", "--format=%P%x00%ae%x00%aI%x00%B", sha).split("\x00");
  return {
    sha,
    node_id: "C_x",
    commit: {
      author: { name: "Dana Dev", email: ae, date: new Date(aI!).toISOString().replace(/\.000Z$/, "Z") },
      committer: { name: "Dana Dev", email: ae, date: new Date(aI!).toISOString() },
      message: body!.replace(/\n+$/, ""),
    },
    author: user("dana-dev", 101),
    committer: user("dana-dev", 101),
    parents: parents!
      .split(" ")
      .filter(Boolean)
      .map((p) => ({ sha: p, url: "" })),
  };
}

describe("review import --github (fake GitHub REST API)", () => {
  it(
    "records the pull request, its reviews and CODEOWNERS team members, signed; the gate then counts the current approval only",
    { timeout: 120_000 },
    async () => {
      const producer = makeProducer();
      const repo = makeRepo();
      cleanups.push(() => repo.cleanup());
      repo.write(
        ".gitops-health.yml",
        `classification: clinical\ncriticalPaths:\n  - { pattern: "src/ehr/**", tier: 1 }\npolicy:\n  requiredChecks: []\n${producer.yaml}`,
      );
      repo.write(".github/CODEOWNERS", "* @ann-lee\nsrc/ehr/ @acme/clinical\n");
      const base = repo.commit("chore: init", { "README.md": "x\n" });
      repo.git("checkout", "-q", "-b", "feature");
      const c1 = repo.commit("feat(ehr): a", { "src/ehr/a.ts": "1\n" }, { author: DANA_GIT });
      const c2 = repo.commit("feat(ehr): b", { "src/ehr/b.ts": "2\n" }, { author: DANA_GIT });
      repo.git("checkout", "-q", "main");
      repo.git("merge", "--squash", "-q", "feature");
      const sq = repo.commit("feat(ehr): a and b (#7)", {}, { author: DANA_GIT });
      const review = (id: number, login: string, uid: number, state: string, commit: string, at: string) => ({
        id,
        node_id: "R_x",
        user: user(login, uid),
        body: "",
        state,
        html_url: "",
        commit_id: commit,
        submitted_at: at,
        author_association: "MEMBER",
      });
      const fake = await fakeGithub(
        {
          "/repos/acme/ehr/pulls/7": {
            number: 7,
            state: "closed",
            merged: true,
            merged_at: "2026-12-06T10:00:00Z",
            merge_commit_sha: sq,
            user: user("dana-dev", 101),
            head: { ref: "feature", sha: c2 },
            base: { ref: "main", sha: base },
            title: "x",
          },
          "/repos/acme/ehr/pulls/7/commits": [apiCommit(repo, c1), apiCommit(repo, c2)],
          "/repos/acme/ehr/pulls/7/reviews": [
            review(1, "ann-lee", 202, "APPROVED", c1, "2026-12-06T09:00:00Z"), // stale: c2 was pushed after it
            review(2, "raj-rao", 303, "APPROVED", c2, "2026-12-06T09:30:00Z"),
            review(3, "dana-dev", 101, "APPROVED", c2, "2026-12-06T09:31:00Z"), // self-approval
            review(4, "zoe", 505, "COMMENTED", c2, "2026-12-06T09:32:00Z"),
          ],
          "/orgs/acme/teams/clinical/members": [user("raj-rao", 303), user("zoe", 505)],
        },
        new Set(["/repos/acme/ehr/pulls/7/reviews", "/orgs/acme/teams/clinical/members"]),
      );
      cleanups.push(() => fake.close());
      const ledger = join(makeTempDir("gh-import-ledger-"), "ledger");
      const env = {
        GITOPS_HEALTH_LEDGER: ledger,
        GITHUB_TOKEN: "ghs_faketoken123",
        GITHUB_REPOSITORY: "",
        GITHUB_API_URL: "",
      };
      const imp = await runCli(
        [
          "review",
          "import",
          "--github",
          "--repo",
          "acme/ehr",
          "--pr",
          "7",
          "--api-url",
          fake.url,
          "--key",
          producer.keyFile,
          "--format",
          "json",
        ],
        { cwd: repo.dir, env },
      );
      expect(imp.stderr).toContain("recorded acme/ehr#7 (merged");
      expect(imp.code).toBe(0);
      const out = JSON.parse(imp.stdout) as {
        pull: { commits: unknown[]; mergeCommit: string };
        reviews: { state: string }[];
        teams: { members: unknown[] }[];
      };
      expect(out.pull).toMatchObject({ mergeCommit: sq });
      expect(out.pull.commits).toHaveLength(2);
      expect(out.reviews.map((r) => r.state)).toEqual(["approved", "approved", "approved", "commented"]);
      expect(out.teams[0]!.members).toHaveLength(2);
      // The job token went to the fake API, and only there; pages were followed.
      expect(fake.requests.every((r) => r.auth === "token ghs_faketoken123")).toBe(true);
      expect(fake.requests.filter((r) => r.path.startsWith("/repos/acme/ehr/pulls/7/reviews")).length).toBe(4);

      const gate = await runCli(["compliance", "check", "--range", `${base}..${sq}`, "--format", "json"], {
        cwd: repo.dir,
        env,
      });
      const r = JSON.parse(gate.stdout) as {
        rules: { id: string; result: string }[];
        reviews: {
          commits: {
            approvals: { reviewer: string; counted: boolean; reason: string }[];
            unverifiedTrailers: string[];
          }[];
        };
      };
      const approvals = r.reviews.commits[0]!.approvals;
      expect(approvals.map((a) => [a.reviewer, a.counted])).toEqual([
        ["ann-lee", false],
        ["raj-rao", true],
        ["dana-dev", false],
      ]);
      expect(approvals[0]!.reason).toContain("stale");
      expect(approvals[2]!.reason).toContain("self-approval");
      const result = (id: string) => r.rules.find((x) => x.id === id)!.result;
      expect(result("dual-approval")).toBe("fail"); // one current approval from another person
      expect(result("code-owner-approval")).toBe("pass"); // raj is in @acme/clinical, recorded from the API
      expect(gate.code).toBe(1);
    },
  );

  it("usage and forge errors are one-line exit-2 errors, without a stack", { timeout: 120_000 }, async () => {
    const producer = makeProducer();
    const fake = await fakeGithub({});
    cleanups.push(() => fake.close());
    const dir = makeTempDir("gh-import-");
    const env = {
      GITOPS_HEALTH_LEDGER: join(dir, "ledger"),
      GITHUB_TOKEN: "t",
      GITHUB_REPOSITORY: "",
      GITHUB_API_URL: "",
    };
    const bad = await runCli(
      ["review", "import", "--github", "--repo", "not a repo", "--pr", "1", "--key", producer.keyFile],
      { cwd: dir, env },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--repo must be owner/name");
    const missing = await runCli(
      [
        "review",
        "import",
        "--github",
        "--repo",
        "acme/ehr",
        "--pr",
        "9",
        "--api-url",
        fake.url,
        "--key",
        producer.keyFile,
      ],
      { cwd: dir, env },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toContain("GitHub has no acme/ehr#9 visible to this token (404)");
  });
});
