// Counts every fs.fdatasync / fs.fsync (callback form, as the directory ledger calls them on the thread
// pool) made by this process, and those that took 2 ms or more. Import it before the modules it should
// see: they wrap fdatasync at load time (`promisify`), so it patches node:fs when it is evaluated.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

export const syncCounts = { fdatasync: 0, fsync: 0, slow: 0 };
type Cb = (err: NodeJS.ErrnoException | null) => void;
for (const name of ["fdatasync", "fsync"] as const) {
  const orig = fs[name] as (fd: number, cb: Cb) => void;
  (fs as unknown as Record<string, unknown>)[name] = (fd: number, cb: Cb) => {
    const s = performance.now();
    syncCounts[name]++;
    orig(fd, (err) => {
      if (performance.now() - s >= 2) syncCounts.slow++;
      cb(err);
    });
  };
}
syncBuiltinESMExports();
