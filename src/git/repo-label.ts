/**
 * A short label for the repository at `cwd`, recorded with compliance checks so the dashboard can
 * show and filter posture per repository: the path of the `origin` remote ("owner/name", without
 * host, credentials or ".git"), else the name of the top-level directory. A label, not an identity:
 * anyone can set a remote, so nothing is decided by it.
 */
import { basename } from "node:path";
import { git } from "./exec.js";

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;

/** "owner/name" from a remote URL (scp-like, https, ssh, file): the last two path segments. */
export function labelFromRemote(url: string): string | undefined {
  const path = url
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "") // scheme://userinfo@host:port
    .replace(/^[^/:]*@?[^/:]*:(?!\/)/, "") // user@host: (scp-like)
    .replace(/\.git\/?$/, "")
    .replace(/\/+$/, "");
  const parts = path.split("/").filter(Boolean);
  const label = parts.slice(-2).join("/");
  return LABEL.test(label) ? label : undefined;
}

export async function repoLabel(cwd: string): Promise<string> {
  const url = await git(["remote", "get-url", "origin"], { cwd }).catch(() => "");
  const fromRemote = url ? labelFromRemote(url) : undefined;
  if (fromRemote) return fromRemote;
  const name = basename(cwd);
  return LABEL.test(name) ? name : "repository";
}
