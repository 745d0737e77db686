import { UserError, errorMessage } from "../core/errors.js";

/** Print an error the way every command does (one line, a stack only with GITOPS_HEALTH_DEBUG) and give its exit code. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UserError) {
    process.stderr.write(`gitops-health: ${err.message}\n`);
    return err.exitCode;
  }
  const code = (err as { exitCode?: unknown }).exitCode;
  process.stderr.write(`gitops-health: ${errorMessage(err).split("\n")[0]}\n`);
  if (process.env.GITOPS_HEALTH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return typeof code === "number" ? code : 2;
}
