#!/usr/bin/env bash
# Whole-process prose scan of the shared PhysioNet notes, 1 thread against 2, alternating:
# `gitops-health scan DIR` over COPIES x 1,624 notes written one file each into a temp dir
# (outside any repository), worker threads forced on (GITOPS_HEALTH_SCAN_PARALLEL_BYTES=1).
# Prints wall and CPU seconds (user + sys, all threads, from /usr/bin/time) and MB/s of each,
# and a digest of the findings (path, offsets, rule) so the runs can be seen to agree.
#   npm run build && bash bench/phi-threads.sh [rounds=2] [copies=4]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
copies=${2:-4}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bytes=$(node --import tsx -e '
import("./bench/lib/phi-corpora.ts").then(({ loadPhysionet }) => {
  const fs = require("node:fs");
  let n = 0;
  for (let c = 0; c < '"$copies"'; c++) {
    fs.mkdirSync(`'"$dir"'/notes/${c}`, { recursive: true });
    for (const d of loadPhysionet()) { fs.writeFileSync(`'"$dir"'/notes/${c}/${d.id}.txt`, d.text); n += Buffer.byteLength(d.text); }
  }
  console.log(n);
});')
echo "notes: $bytes bytes in $copies copies; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for r in $(seq "$rounds"); do
  for t in 1 2; do
    GITOPS_HEALTH_SCAN_THREADS=$t GITOPS_HEALTH_SCAN_PARALLEL_BYTES=1 GITOPS_HEALTH_FINGERPRINT_KEY=$(printf '7%.0s' {1..64}) \
      /usr/bin/time -f "%e %U %S" -o "$dir/time" node dist/cli.js scan "$dir/notes" --format json --exit-zero > "$dir/out.json" 2> /dev/null
    read -r wall user sys < "$dir/time"
    digest=$(node -e 'const j = require(process.argv[1]); const f = j.findings.map((x) => [x.path, x.start, x.end, x.ruleId].join()).sort(); console.log(f.length, require("node:crypto").createHash("sha256").update(f.join("\n")).digest("hex").slice(0, 12));' "$dir/out.json")
    awk -v t="$t" -v w="$wall" -v u="$user" -v s="$sys" -v b="$bytes" -v d="$digest" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
      'BEGIN { c = u + s; printf "threads %d: wall %.1f s (%.2f MB/s), CPU %.1f s (%.2f MB/s per CPU second), load %s, findings %s\n", t, w, b / 1e6 / w, c, b / 1e6 / c, l, d }'
  done
done
