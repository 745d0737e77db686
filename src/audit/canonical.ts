import canonicalize from "canonicalize";

/**
 * Canonical JSON (RFC 8785, JCS): the same text as the `canonicalize` package (4.x) for every value,
 * the same errors (NaN, Infinity, a lone surrogate, a circular reference), built into one string
 * instead of an array of parts per object and array, a `Set` per call and a per-character surrogate
 * loop per string. Ledger entries and decision inputs are canonicalised on every append; this is most
 * of what the append allocates besides the entry itself. Anything but plain JSON values (objects with
 * `toJSON`, functions, symbols, bigints) is handed to `canonicalize` itself, so its output there is its
 * output. `test/audit-canonical.test.ts` compares the two on generated and real values.
 */
export function canonicalJson(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return primitive(value);
  const out = { s: "" };
  write(value, out, []);
  return out.s;
}

function primitive(value: unknown): string | undefined {
  if (typeof value === "string") {
    if (!(value as string & { isWellFormed(): boolean }).isWellFormed())
      throw new Error("Lone surrogate is not allowed");
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (Number.isNaN(value)) throw new Error("NaN is not allowed");
    if (!Number.isFinite(value)) throw new Error("Infinity is not allowed");
    return JSON.stringify(value);
  }
  if (typeof value === "boolean" || value === null) return value ? "true" : value === false ? "false" : "null";
  return canonicalize(value);
}

function write(value: object, out: { s: string }, stack: object[]): void {
  if (typeof (value as { toJSON?: unknown }).toJSON === "function" || stack.includes(value)) {
    // toJSON values (dates...) and the circular-reference error: the package's own code path
    out.s += canonicalize(value) as string;
    return;
  }
  stack.push(value);
  if (Array.isArray(value)) {
    out.s += "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.s += ",";
      if (!(i in value)) continue; // a hole: `map` skips it and `join` writes nothing
      let v: unknown = value[i];
      if (v === undefined || typeof v === "symbol") v = null;
      if (v !== null && typeof v === "object") write(v, out, stack);
      else out.s += primitive(v) ?? "";
    }
    out.s += "]";
  } else {
    const o = value as Record<string, unknown>;
    out.s += "{";
    let first = true;
    for (const key of sortKeys(Object.keys(o))) {
      const v = o[key];
      if (v === undefined || typeof v === "symbol") continue;
      if (!first) out.s += ",";
      first = false;
      out.s += primitive(key) + ":";
      if (v !== null && typeof v === "object") write(v, out, stack);
      else out.s += `${primitive(v)}`;
    }
    out.s += "}";
  }
  stack.pop();
}

/**
 * The keys in the order `Array.prototype.sort` gives strings (UTF-16 code units), sorted in place: an
 * insertion sort for the few keys of an entry's objects (the built-in sort allocates a work area per
 * call), the built-in one for more.
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 24) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}
