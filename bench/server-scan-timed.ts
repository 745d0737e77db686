// The scan inside the server against the same scan in a loop: `npx tsx bench/server-scan-timed.ts [rounds]`.
// Each round: `serve-app.mjs --loop` (the engine back to back in a process of its own: CPU per scan and the median
// wall time of a call), then `serve-app.mjs <ledger> timed` (our app; each engine call timed) under autocannon
// (16 connections, then 1), which prints the median wall time of its last 5,000 engine calls. Medians, so
// preemption on a loaded machine does not count. bench/lib/serve-app.ts is bundled as bench/server-floor.ts does.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { createToken, FileTokenStore, tokenFileFor } from "../src/server/tokens.js";
import { CODE, NOTE } from "./lib/server-payloads.js";
import { bundleServeApp } from "./lib/serve-app-bundle.js";

const ROUNDS = Number(process.argv[2] ?? 2);
const root = join(import.meta.dirname, "..");
const app = bundleServeApp(root);
const dir = mkdtempSync(join(tmpdir(), "gh-scan-timed-"));
const { token } = await createToken(new FileTokenStore(tokenFileFor(join(dir, "l"))), {
  name: "bench",
  scopes: ["admin"],
});
for (const [k, body, n] of [
  ["code", { text: CODE, profile: "code" }, 12000],
  ["note", { text: NOTE, profile: "prose" }, 3000],
] as const) {
  const file = join(dir, `${k}.json`);
  writeFileSync(file, JSON.stringify(body));
  for (let round = 0; round < ROUNDS; round++) {
    const [cpu, wall] = spawnSync(process.execPath, [app, "--loop", file, "2000"], { encoding: "utf8" })
      .stdout.trim()
      .split(" ")
      .map(Number);
    const child = spawn(process.execPath, [app, join(dir, "l"), "timed"], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const base: string = await new Promise((resolve, reject) => {
      child.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
        const m = /serving on (http:\/\/[\d.:]+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.on("exit", () => reject(new Error(err)));
    });
    for (const connections of [16, 1])
      await autocannon({
        url: `${base}/v1/scan`,
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        connections,
        amount: n,
      });
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    console.log(
      `${k} round ${round + 1}: loop ${cpu!.toFixed(4)} ms CPU a scan, median call ${wall!.toFixed(4)} ms; in the server: ${out.trim()}`,
    );
  }
}
