/**
 * Whether the PostgreSQL tests can run, decided before the tests are collected so that a missing
 * server makes them *skipped* (counted and reported as such), never silently passed.
 */
export interface PgAvailability {
  /** The connection string from GITOPS_HEALTH_TEST_PG, when a server answers there. */
  url: string | undefined;
  /** Why the PostgreSQL tests are skipped, or undefined when they run. */
  skipReason: string | undefined;
}

const cache = new Map<string, Promise<PgAvailability>>();

/** Probe GITOPS_HEALTH_TEST_PG once per worker; prints the reason when the tests will be skipped. */
export function probePg(what: string): Promise<PgAvailability> {
  const url = process.env.GITOPS_HEALTH_TEST_PG;
  const key = url ?? "";
  let p = cache.get(key);
  if (!p) {
    p = (async (): Promise<PgAvailability> => {
      if (!url) return { url: undefined, skipReason: "GITOPS_HEALTH_TEST_PG is not set" };
      try {
        const pg = (await import("pg")).default;
        const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
        await c.connect();
        await c.end();
        return { url, skipReason: undefined };
      } catch (e) {
        // The URL may carry a password: name the host only.
        let host = "the configured server";
        try {
          host = new URL(url).host || host;
        } catch {
          /* unparsable URL: keep the generic name */
        }
        return {
          url: undefined,
          skipReason: `no PostgreSQL server answers at ${host} (${(e as Error).message.split("\n")[0]})`,
        };
      }
    })();
    cache.set(key, p);
  }
  return p.then((a) => {
    if (a.skipReason) console.warn(`[skip] ${what}: ${a.skipReason}`);
    return a;
  });
}
