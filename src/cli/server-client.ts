import type { Command } from "commander";
import type { ServiceClient } from "../client/service.js";

/** `--server <url>` for commands that can use a remote `gitops-health serve` instead of a local ledger. */
export const withServer = (c: Command): Command =>
  c.option(
    "--server <url>",
    "use a remote gitops-health service instead of the local ledger (default: GITOPS_HEALTH_SERVER); token from GITOPS_HEALTH_TOKEN",
  );

/**
 * The client for `--server` (or GITOPS_HEALTH_SERVER), with the bearer token from
 * GITOPS_HEALTH_TOKEN; undefined when neither names a server (use the local ledger).
 */
export async function serverClient(opts: { server?: string }): Promise<ServiceClient | undefined> {
  const url = opts.server ?? (process.env.GITOPS_HEALTH_SERVER || undefined);
  if (!url) return undefined;
  const { ServiceClient } = await import("../client/service.js");
  return new ServiceClient(url, { token: process.env.GITOPS_HEALTH_TOKEN || undefined });
}
