import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../src/audit/canonical.js";

/** The package's result or its error message, to compare both ways of failing too. */
const outcome = (f: () => string | undefined): { ok: string | undefined } | { err: string } => {
  try {
    return { ok: f() };
  } catch (err) {
    return { err: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
};
const same = (v: unknown) => expect(outcome(() => canonicalJson(v))).toEqual(outcome(() => canonicalize(v)));

/** Seeded generator of JSON-ish values: unicode keys and strings, numbers of every form, nesting. */
function gen(seed: number) {
  let x = seed >>> 0 || 1;
  const rnd = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chars = [
    "a",
    "Z",
    "0",
    "é",
    "€",
    "\u0000",
    "\n",
    '"',
    "\\",
    "\u2028",
    "😀",
    "\ud800\udc00",
    "ﬀ",
    "\u007f",
    "_",
  ];
  const str = (): string => Array.from({ length: Math.floor(rnd() * 6) }, () => pick(chars)).join("");
  const num = (): number =>
    pick([
      () => Math.floor(rnd() * 1000) - 500,
      () => (rnd() - 0.5) * 1e6,
      () => rnd() * 1e-7,
      () => 1e21 * rnd(),
      () => -0,
      () => Number.MAX_SAFE_INTEGER,
      () => 5e-324,
      () => 1.7976931348623157e308,
    ])();
  const value = (depth: number): unknown => {
    const k = rnd();
    if (depth > 4 || k < 0.45)
      return pick<() => unknown>([str, num, () => true, () => false, () => null, () => undefined])();
    if (k < 0.7) return Array.from({ length: Math.floor(rnd() * 5) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rnd() * 6); i > 0; i--)
      o[pick([str(), String(Math.floor(rnd() * 20)), "seq", "time", "payload", "10", "1e3"])] = value(depth + 1);
    return o;
  };
  return value;
}

describe("canonicalJson", () => {
  it("writes what canonicalize writes on 20,000 generated values", () => {
    for (let seed = 1; seed <= 20_000; seed++) same(gen(seed)(0));
  });

  it("writes what canonicalize writes on the JSON fixtures of the test suite", () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (n.endsWith(".json")) files.push(p);
      }
    };
    walk(join(import.meta.dirname, "fixtures"));
    expect(files.length).toBeGreaterThan(0);
    let parsed = 0;
    for (const f of files) {
      let v: unknown;
      try {
        v = JSON.parse(readFileSync(f, "utf8"));
      } catch {
        continue; // templates with placeholders
      }
      parsed++;
      same(v);
    }
    expect(parsed).toBeGreaterThan(10);
  });

  it("fails where canonicalize fails, with the same error", () => {
    same({ a: NaN });
    same([Infinity]);
    same({ k: "\ud800" });
    same({ ["\udc00"]: 1 });
    same("x\ud800y");
    const cyc: Record<string, unknown> = { a: 1 };
    cyc.self = { back: cyc };
    same(cyc);
    const arr: unknown[] = [1];
    arr.push(arr);
    same(arr);
    same({ big: 1n });
  });

  it("treats non-JSON values as canonicalize does", () => {
    const shared = { x: 1 };
    same({ a: shared, b: [shared, shared] }); // repeated, not circular
    same({ d: new Date(0), e: [new Date(1)], t: { toJSON: () => ({ z: 1, a: [2] }) } });
    same([undefined, () => 1, Symbol("s"), null]);
    same({ f: () => 1, u: undefined, s: Symbol("s"), n: null });
    same([1, , 3]);
    same(undefined);
    same(() => 1);
    same(Symbol("s"));
    same(-0);
    same("plain");
    same(true);
    same(null);
    same({ 2: "b", 10: "c", 1: "a", b: 1, B: 2, "": 3, é: 4, e: 5 });
    // key counts either side of the insertion sort's limit, in scrambled orders, astral and BMP keys mixed
    for (const n of [2, 23, 24, 25, 60]) {
      const keys = Array.from(
        { length: n },
        (_, i) => ["k", "K", "😀", "\uff00", "é", "1", ""][i % 7]! + String((i * 7919) % 97),
      );
      same(Object.fromEntries(keys.map((k, i) => [k, i])));
      same(Object.fromEntries([...keys].reverse().map((k, i) => [k, { [k]: i }])));
    }
  });
});
