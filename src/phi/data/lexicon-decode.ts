import { gunzipSync } from "node:zlib";

/** Decode a lexicon from lexicons.ts (gzip + base64, front-coded lines). */
export function decodeLexicon(b64: string): string[] {
  const lines = gunzipSync(Buffer.from(b64, "base64")).toString("utf8").split("\n");
  const out: string[] = new Array<string>(lines.length);
  let prev = "";
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const k = l.charCodeAt(0) - 48;
    prev = prev.slice(0, k) + l.slice(1);
    out[i] = prev;
  }
  return out;
}
