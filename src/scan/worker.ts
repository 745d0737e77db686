// Worker thread entry (bundled as dist/scan-worker.js): scans the batches of files it is sent
// (null: no more) and answers each with that batch's findings and stats.
import { parentPort, workerData } from "node:worker_threads";
import { prepare, scanListInto, type ScanWorkerData } from "./index.js";
import type { Finding } from "../phi/types.js";
import type { ScanStats } from "../report/findings.js";

const d = workerData as ScanWorkerData;
const options = {
  cwd: d.cwd,
  scan: d.scan,
  baseline: d.baseline ? new Set(d.baseline) : undefined,
  legacyBaseline: d.legacyBaseline ? new Set(d.legacyBaseline) : undefined,
  maxFileSize: d.maxFileSize,
  gitleaksConfig: d.gitleaksConfig,
  allowSkip: d.allowSkip,
  fingerprintKey: Buffer.from(d.fingerprintKey, "hex"),
};
const prepared = prepare(options);
parentPort!.on("message", (files: string[] | null) => {
  if (files === null) {
    parentPort!.close();
    return;
  }
  const t0 = Date.now();
  const stats: ScanStats = {
    files: 0,
    bytes: 0,
    skippedBinary: 0,
    skippedLarge: 0,
    chunked: 0,
    suppressed: 0,
    durationMs: 0,
  };
  const findings: Finding[] = [];
  scanListInto(files, options, prepared, stats, findings);
  stats.durationMs = Date.now() - t0;
  parentPort!.postMessage({ findings, stats });
});
