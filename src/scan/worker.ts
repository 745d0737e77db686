// Worker thread entry (bundled as dist/scan-worker.js): scans its share of the files.
import { parentPort, workerData } from "node:worker_threads";
import { scanFileList, type ScanOptions } from "./index.js";

const d = workerData as { files: string[]; cwd: string; scan?: ScanOptions["scan"]; baseline?: string[]; maxFileSize?: number; gitleaksConfig?: string };
const report = scanFileList(d.files, { cwd: d.cwd, scan: d.scan, baseline: d.baseline ? new Set(d.baseline) : undefined, maxFileSize: d.maxFileSize, gitleaksConfig: d.gitleaksConfig });
parentPort!.postMessage(report);
