// Open-loop load for the HTTP benches: requests sent on a fixed schedule whether or not earlier ones
// were answered, each latency counted from its scheduled time, so a slow server shows as latency
// instead of a lower offered rate (autocannon's overallRate waits for free connections).
import { Agent, request as httpRequest } from "node:http";
import { readFileSync } from "node:fs";

/** CPU milliseconds (user + system) a process has used so far, from /proc (10 ms ticks). */
export function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

export interface OpenLoopResult {
  sent: number;
  p50: number;
  p99: number;
  max: number;
  bad: number;
  /** the server's CPU ms per request over the run */
  cpu: number;
}

export async function openLoop(o: {
  base: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  rate: number;
  seconds: number;
  pid: number;
}): Promise<OpenLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(o.base + o.url);
  const lat: number[] = [];
  let bad = 0;
  const n = Math.round(o.rate * o.seconds);
  const c0 = cpuMs(o.pid);
  const t0 = performance.now() + 50;
  const one = (due: number) =>
    new Promise<void>((resolve) => {
      const req = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          headers: o.headers,
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode !== 200) bad++;
            lat.push(performance.now() - due);
            resolve();
          });
        },
      );
      req.on("error", () => {
        bad++;
        resolve();
      });
      req.end(o.body);
    });
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < n;) {
    const now = performance.now();
    for (; i < n && t0 + (i * 1000) / o.rate <= now; i++) inflight.push(one(t0 + (i * 1000) / o.rate));
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { sent: n, p50: q(0.5), p99: q(0.99), max: lat.at(-1) ?? NaN, bad, cpu: (cpuMs(o.pid) - c0) / n };
}
