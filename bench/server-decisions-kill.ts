// SIGKILL under decision load on the embedded ledger: `npx tsx bench/server-decisions-kill.ts [rounds] [seconds]`.
// Starts the built `gitops-health serve` (dist/cli.js, or SERVE_CLI) on a fresh directory ledger, sends decisions
// from 32 concurrent clients, kills the server with SIGKILL after `seconds` (default 2) and opens the ledger
// read-only: every acknowledged decision must be there with the leaf hash it was answered with (its decision_id is
// `<seq>-<leaf hash prefix>`), the ledger must verify, and a killed process must leave no torn tail an append would
// refuse (frames and rows are both written before either sync). Exit 1 on any loss.
// SERVE_ARGS adds `serve` flags, e.g. SERVE_ARGS="--ledger-durability process" (acknowledged once written: a
// SIGKILL must still lose nothing, the kernel keeps what was written).
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { openLedger } from "../src/audit/index.js";
import { createToken, FileTokenStore, tokenFileFor } from "../src/server/tokens.js";

const ROUNDS = Number(process.argv[2] ?? 3);
const SECONDS = Number(process.argv[3] ?? 2);
const CLI = process.env.SERVE_CLI ?? join(import.meta.dirname, "..", "dist", "cli.js");
const body = JSON.stringify({
  input: {
    commit: { message: "feat(api): add endpoint\n\nApproved-by: Ann <ann@example.com>", signature: "G" },
    checks: { passed: ["tests", "phi-scan"] },
  },
});
let failed = false;
for (let round = 0; round < ROUNDS; round++) {
  const ledger = join(mkdtempSync(join(tmpdir(), "gh-dkill-")), "ledger");
  const { token } = await createToken(new FileTokenStore(tokenFileFor(ledger)), { name: "k", scopes: ["decide"] });
  const child = spawn(
    process.execPath,
    [
      CLI,
      "serve",
      "--port",
      "0",
      "--log-level",
      "silent",
      "--rate-limit",
      "0",
      "--ledger",
      ledger,
      ...(process.env.SERVE_ARGS ?? "").split(" ").filter(Boolean),
    ],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let err = "";
  const base: string = await new Promise((res, rej) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /serving on (http:\/\/[\d.:]+)/.exec(err);
      if (m) res(m[1]!);
    });
    child.on("exit", () => rej(new Error(err)));
  });
  const acked = new Map<number, string>();
  let killed = false;
  const client = async () => {
    while (!killed) {
      try {
        const r = await fetch(`${base}/v1/decisions/business`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body,
        });
        if (r.status !== 200) continue;
        const id = ((await r.json()) as { decision_id: string }).decision_id;
        const [seq, prefix] = id.split("-");
        acked.set(Number(seq), prefix!);
      } catch {
        /* killed */
      }
    }
  };
  const clients = Array.from({ length: 32 }, client);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  killed = true;
  await exited;
  const ackedAtKill = acked.size;
  await Promise.all(clients);
  const l = await openLedger(ledger, { readOnly: true });
  const size = await l.size();
  const have = new Map<number, string>();
  // the store's leaf hashes (AuditLedger keeps its store private; the directory store is what was written)
  const leaves = await (l as unknown as { store: { leaves(): Promise<{ leaf(i: number): Buffer }> } }).store.leaves();
  for (const seq of acked.keys()) if (seq < size) have.set(seq, leaves.leaf(seq).toString("hex").slice(0, 16));
  const missing = [...acked].filter(([seq, prefix]) => have.get(seq) !== prefix).length;
  const v = await l.verify();
  await l.close();
  const torn = v.warnings.length;
  console.log(
    `round ${round + 1}: ${ackedAtKill} decisions acknowledged before SIGKILL, ${size} in the ledger, ${missing} acknowledged missing or different; verify ${v.ok ? "ok" : `FAILED: ${v.problem}`}; torn-tail warnings ${torn}${torn ? ` (${v.warnings.join("; ")})` : ""} (load ${loadavg()[0]!.toFixed(2)})`,
  );
  if (missing || !v.ok) failed = true;
}
process.exit(failed ? 1 : 0);
