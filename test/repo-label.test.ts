/** The repository label compliance checks record for the dashboard: from origin, never with credentials. */
import { afterAll, describe, expect, it } from "vitest";
import { basename } from "node:path";
import { labelFromRemote, repoLabel } from "../src/git/repo-label.js";
import { makeRepo } from "./helpers/repo.js";

const repo = makeRepo();
afterAll(() => repo.cleanup());

describe("repository label", () => {
  it("takes owner/name from the remote URL forms, without host, user, token or .git", () => {
    expect(labelFromRemote("git@github.com:medplum/medplum.git")).toBe("medplum/medplum");
    expect(labelFromRemote("https://x-access-token:s3cr3t@github.com/acme/api.git")).toBe("acme/api");
    expect(labelFromRemote("ssh://git@git.example.invalid:2222/group/sub/proj.git")).toBe("sub/proj");
    expect(labelFromRemote("https://gitlab.example.invalid/group/proj/")).toBe("group/proj");
    expect(labelFromRemote("https://host.example.invalid/")).toBeUndefined();
  });

  it("reads origin, else names the directory", async () => {
    expect(await repoLabel(repo.dir)).toBe(basename(repo.dir));
    repo.git("remote", "add", "origin", "https://user:token@github.com/acme/records.git");
    const label = await repoLabel(repo.dir);
    expect(label).toBe("acme/records");
    expect(label).not.toContain("token");
  });
});
