// A worker thread that runs a TypeScript module (workerData.entry, a file URL) through tsx: Node 20's
// workers do not inherit the loader that `npx tsx` registered on the main thread.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
