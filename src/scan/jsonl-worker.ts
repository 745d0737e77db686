// Worker thread entry (bundled as dist/jsonl-worker.js): scans batches of jsonl records.
import { parentPort, workerData } from "node:worker_threads";
import { prepare } from "./index.js";
import type { JsonlBatchResult, JsonlRecord, JsonlWorkerData } from "./jsonl-pool.js";

const d = workerData as JsonlWorkerData;
const { scanner, suppressed } = prepare({ cwd: d.cwd, scan: d.scan, baseline: d.baseline ? new Set(d.baseline) : undefined, gitleaksConfig: d.gitleaksConfig });

parentPort!.on("message", (m: { seq: number; records: JsonlRecord[] }) => {
  let result: JsonlBatchResult;
  try {
    let findings = 0;
    const lines = m.records.map((r) => {
      const found = scanner.scan(r.text, {}).filter((f) => !suppressed(f, r.text));
      findings += found.length;
      return JSON.stringify({ id: r.id, findings: found });
    });
    result = { seq: m.seq, lines, findings };
  } catch (e) {
    result = { seq: m.seq, lines: [], findings: 0, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(result);
});
