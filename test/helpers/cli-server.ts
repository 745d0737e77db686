import { spawn } from "node:child_process";
import { join } from "node:path";

const CLI = join(import.meta.dirname, "..", "..", "dist", "cli.js");

/**
 * Start the built CLI as a server (`serve`, `proxy`), wait for the line that names its address
 * (`ready` captures it), and give a way to stop it with SIGTERM. A server that exits first rejects
 * with its stderr.
 */
export async function startCliServer(
  args: string[],
  o: { cwd: string; env?: Record<string, string>; ready: RegExp },
): Promise<{ base: string; stderr: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: o.cwd,
    env: { ...process.env, ...o.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const base = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      const m = o.ready.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`${args[0]} exited ${code}: ${stderr}`)));
  });
  return {
    base,
    stderr: () => stderr,
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}
