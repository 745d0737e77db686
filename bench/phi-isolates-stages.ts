// Which stage of the prose scanner stops scaling across threads (issue 14 §2): N worker threads, each with
// its own copy of a stage over the PhysioNet notes, PASSES passes each after one warm-up pass. Compare
// `1 2P` with `2 P`: the same total work; perfect scaling halves each worker's loop time.
//   GITOPS_HEALTH_SHARED=/work/shared npx tsx bench/phi-isolates-stages.ts <threads> <passes> <stage>
// stage: tagger | rules (Scanner without the tagger) | all (the default Scanner) | det:<detector name>
import { Worker, isMainThread, workerData, parentPort } from "node:worker_threads";
import { loadPhysionet } from "./lib/phi-corpora.js";

if (isMainThread) {
  const [n, passes, stage] = [Number(process.argv[2] ?? 1), Number(process.argv[3] ?? 4), process.argv[4] ?? "all"];
  const notes = loadPhysionet().map((d) => d.text);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const ms = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(new URL("./lib/tsx-worker.mjs", import.meta.url), {
            workerData: { passes, stage, notes, entry: import.meta.url },
          });
          w.once("message", resolve);
          w.once("error", reject);
        }),
    ),
  );
  const c = process.cpuUsage(c0);
  console.log(
    `${stage} ${n} x ${passes}: wall ${((performance.now() - t0) / 1000).toFixed(2)} s, CPU ${((c.user + c.system) / 1e6).toFixed(2)} s, each worker's loop ${ms.join(", ")} ms`,
  );
  process.exit(0);
} else {
  const { passes, stage, notes } = workerData as { passes: number; stage: string; notes: string[] };
  const engine = await import("../src/phi/engine.js");
  const detect = await import("../src/phi/detect/index.js");
  const model = await import("../src/phi/tagger/model.js");
  type Candidate = import("../src/phi/candidate.js").Candidate;
  let fn: () => void;
  if (stage.startsWith("det:")) {
    const ds = detect.DETECTORS.filter((d) => d.name === stage.slice(4));
    if (!ds.length) throw new Error(`no detector ${stage.slice(4)}: ${detect.DETECTORS.map((d) => d.name).join(", ")}`);
    fn = () => {
      for (const t of notes) {
        const out: Candidate[] = [];
        for (const d of ds) d.detect(t, "prose", out, undefined);
      }
    };
  } else if (stage === "tagger") {
    const rules = new engine.Scanner({ tagger: false });
    const resolved = notes.map((t) => rules.candidates(t, "prose"));
    const m = model.shippedModel();
    fn = () => notes.forEach((t, k) => model.tagText(m, t, resolved[k]!));
  } else {
    const s = new engine.Scanner(stage === "rules" ? { tagger: false } : {});
    fn = () => {
      for (const t of notes) s.scan(t);
    };
  }
  fn();
  const t0 = performance.now();
  for (let p = 0; p < passes; p++) fn();
  parentPort!.postMessage(Math.round(performance.now() - t0));
}
