// Thread scaling of the prose scanner without the scan pipeline: N worker threads, each its own
// createScanner() (dist/api/phi.js, so \`npx tsup\` first) scanning the PhysioNet notes PASSES times.
// Each worker does the same work whether N is 1 or 2 (N=2 does twice the total work), so on 2 free cores
// equal wall times mean perfect scaling. Notes: /tmp/notes.json (a JSON array of strings) or NOTES_JSON.
//   node bench/phi-isolates.mjs <threads> <passes>
import { Worker, isMainThread, workerData, parentPort } from "node:worker_threads";
import { readFileSync } from "node:fs";
if (isMainThread) {
  const n = Number(process.argv[2] ?? 1);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((res) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { passes: Number(process.argv[3] ?? 2) } });
          w.on("message", (m) => console.log("worker", JSON.stringify(m)));
          w.on("exit", res);
        }),
    ),
  );
  const c = process.cpuUsage(c0);
  console.log(
    `threads ${n}: wall ${((performance.now() - t0) / 1000).toFixed(2)} s, cpu ${((c.user + c.system) / 1e6).toFixed(2)} s`,
  );
} else {
  const { createScanner } = await import(new URL("../dist/api/phi.js", import.meta.url).href);
  const notes = JSON.parse(readFileSync(process.env.NOTES_JSON ?? "/tmp/notes.json", "utf8"));
  const s = createScanner();
  const t0 = performance.now();
  s.scan(notes[0]);
  const t1 = performance.now();
  let f = 0;
  for (let p = 0; p < workerData.passes; p++) for (const t of notes) f += s.scan(t).length;
  parentPort.postMessage({ warm: +(t1 - t0).toFixed(0), scanMs: +(performance.now() - t1).toFixed(0), f });
}
