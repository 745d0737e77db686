// Worker thread entry (bundled as dist/jsonl-worker.js): scans batches of jsonl records.
import { parentPort, workerData } from "node:worker_threads";
import { prepare } from "./index.js";
import { scanBatch, type JsonlBatchResult, type JsonlRecord, type JsonlWorkerData } from "./jsonl-pool.js";

const d = workerData as JsonlWorkerData;
const prepared = prepare({
  cwd: d.cwd,
  scan: d.scan,
  baseline: d.baseline ? new Set(d.baseline) : undefined,
  legacyBaseline: d.legacyBaseline ? new Set(d.legacyBaseline) : undefined,
  gitleaksConfig: d.gitleaksConfig,
  fingerprintKey: d.fingerprintKey ? Buffer.from(d.fingerprintKey, "hex") : undefined,
});

parentPort!.on("message", (m: { seq: number; records: JsonlRecord[] }) => {
  let result: JsonlBatchResult;
  try {
    result = { seq: m.seq, ...scanBatch(prepared, m.records) };
  } catch (e) {
    result = { seq: m.seq, lines: [], findings: 0, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(result);
});
