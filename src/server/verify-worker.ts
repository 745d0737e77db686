// Worker thread entry (bundled as dist/verify-worker.js; run from source through tsx in tests): one full,
// read-only verification of the ledger named by `spec`, so the service's event loop keeps answering
// while it re-hashes every entry (src/server/dashboard.ts starts it every hour).
import { parentPort, threadId, workerData } from "node:worker_threads";
import { openLedger } from "../audit/index.js";

export interface VerifyWorkerData {
  /** the ledger: a directory or a postgres:// URL (with its credentials and table_prefix) */
  spec: string;
}
export interface VerifyWorkerResult {
  ok: boolean;
  size: number | null;
  problem: string | null;
  /** the thread that verified (never 0, the main thread's) */
  threadId: number;
}

const { spec } = workerData as VerifyWorkerData;
let result: VerifyWorkerResult;
try {
  const ledger = await openLedger(spec, { readOnly: true });
  try {
    const v = await ledger.verify();
    result = { ok: v.ok, size: v.size, problem: v.ok ? null : (v.problem ?? "failed"), threadId };
  } finally {
    await ledger.close();
  }
} catch (err) {
  result = { ok: false, size: null, problem: (err as Error).message, threadId };
}
parentPort!.postMessage(result);
