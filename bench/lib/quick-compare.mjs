// The quick check's comparison (bench/run.mjs --quick), apart so that it can be tested.

/** A number for a table: "—" when missing, thousands separators from 100 up. */
export function fmt(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  return `${v >= 100 ? Math.round(v).toLocaleString("en-US") : v >= 10 ? v.toFixed(1) : v.toFixed(3)}${unit ? ` ${unit}` : ""}`;
}

/**
 * Today's figures against the recorded ones: a table row per figure and a FLAG line for each
 * that fell more than 25%. A figure with a ratio to its in-run reference is compared by that
 * ratio, else by its value; `better` says which way is better.
 */
export function compareQuick(figures, baseline) {
  const ratioText = (f) => (f.ratio === undefined ? "" : ` (${f.ratio.toFixed(3)} ${f.reference})`);
  const compared = (f) => (f.ratio !== undefined ? f.ratio : f.value);
  const rows = [];
  const flagged = [];
  for (const f of figures) {
    const rec = baseline.figures[f.key];
    if (f.skipped) {
      rows.push([f.label, `skipped: ${f.skipped}`, rec ? fmt(rec.value, rec.unit) : "—", "—", "skipped"]);
      continue;
    }
    if (!rec || rec.skipped || typeof compared(rec) !== "number" || Number.isNaN(compared(rec))) {
      rows.push([f.label, `${fmt(f.value, f.unit)}${ratioText(f)}`, "not recorded", "—", "new"]);
      continue;
    }
    const today = compared(f);
    const before = compared(rec);
    // Performance relative to the record: above 1 is better, whichever way the figure points.
    const perf = f.better === "higher" ? today / before : before / today;
    const status = perf < 0.75 ? "FLAG" : "ok";
    if (status === "FLAG")
      flagged.push(
        `FLAG ${f.key}: ${f.label}: ${fmt(today, f.ratio !== undefined ? "×" : f.unit)} today against ${fmt(before, f.ratio !== undefined ? "×" : rec.unit)} recorded (${((1 - perf) * 100).toFixed(0)}% worse, more than 25%)`,
      );
    rows.push([
      f.label,
      `${fmt(f.value, f.unit)}${ratioText(f)}`,
      `${fmt(rec.value, rec.unit)}${rec.ratio !== undefined ? ` (${rec.ratio.toFixed(3)})` : ""}`,
      `${(today / before).toFixed(2)}`,
      status,
    ]);
  }
  return { rows, flagged };
}
