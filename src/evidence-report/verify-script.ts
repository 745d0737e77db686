/**
 * The script inlined into the evidence report: it checks, in the auditor's browser and with nothing
 * but WebCrypto (Ed25519, SHA-256), that the checkpoint is signed by the verifier key and that every
 * cited entry is in the checkpointed tree (RFC 9162 section 2.1.3.2 inclusion proofs). It writes the
 * outcome into #verification: "verified against key ..." or exactly which check failed. The auditor
 * can paste a verifier key obtained independently and verify again.
 * Plain ES2020 as a string: it is part of the deterministic report, byte for byte.
 */
export const VERIFY_SCRIPT = String.raw`
(function () {
  "use strict";
  var enc = new TextEncoder();
  function b64(s) { var b = atob(s), out = new Uint8Array(b.length); for (var i = 0; i < b.length; i++) out[i] = b.charCodeAt(i); return out; }
  function hex(u) { return Array.prototype.map.call(u, function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join(""); }
  function unhex(s) { var out = new Uint8Array(s.length / 2); for (var i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16); return out; }
  function cat(a, b) { var o = new Uint8Array(a.length + b.length); o.set(a, 0); o.set(b, a.length); return o; }
  function eq(a, b) { if (a.length !== b.length) return false; for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false; return true; }
  async function sha256(u) { return new Uint8Array(await crypto.subtle.digest("SHA-256", u)); }
  async function leafHash(data) { return sha256(cat(new Uint8Array([0]), data)); }
  async function nodeHash(l, r) { return sha256(cat(cat(new Uint8Array([1]), l), r)); }
  // RFC 9162 2.1.3.2
  async function rootFromProof(index, size, leaf, proof) {
    if (index >= size) return null;
    var fn = index, sn = size - 1, r = leaf;
    for (var i = 0; i < proof.length; i++) {
      var p = proof[i];
      if (sn === 0) return null;
      if ((fn & 1) === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if ((fn & 1) === 0) while ((fn & 1) === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else r = await nodeHash(r, p);
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }
  function parseVerifierKey(k) {
    var parts = k.trim().split("+");
    if (parts.length < 3) throw new Error("malformed verifier key (name+id+key)");
    var raw = b64(parts.slice(2).join("+"));
    if (raw.length !== 33 || raw[0] !== 1 || !/^[0-9a-f]{8}$/.test(parts[1])) throw new Error("malformed verifier key (not Ed25519)");
    return { name: parts[0], keyId: parts[1], pub: raw.slice(1), text: k.trim() };
  }
  async function verifyNote(note, key) {
    var split = note.lastIndexOf("\n\n");
    if (split < 0) throw new Error("checkpoint: malformed note (no signature block)");
    var text = note.slice(0, split + 1);
    var expectId = hex((await sha256(cat(cat(enc.encode(key.name + "\n"), new Uint8Array([1])), key.pub))).slice(0, 4));
    if (expectId !== key.keyId) throw new Error("verifier key: its key id does not match its public key");
    var lines = note.slice(split + 2).split("\n").filter(function (l) { return l.length > 0; });
    var pub = await crypto.subtle.importKey("raw", key.pub, { name: "Ed25519" }, false, ["verify"]);
    for (var i = 0; i < lines.length; i++) {
      var m = /^\u2014 (\S+) (\S+)$/.exec(lines[i]);
      if (!m || m[1] !== key.name) continue;
      var raw = b64(m[2]);
      if (hex(raw.slice(0, 4)) !== key.keyId) continue;
      if (raw.length !== 68 || !(await crypto.subtle.verify({ name: "Ed25519" }, pub, raw.slice(4), enc.encode(text)))) throw new Error("checkpoint: the signature by " + key.name + " does not verify (checkpoint changed or forged)");
      return text;
    }
    throw new Error("checkpoint: no signature by key " + key.name + "+" + key.keyId);
  }
  async function run(keyText) {
    var data = JSON.parse(document.getElementById("evidence-data").textContent);
    var key = parseVerifierKey(keyText);
    var text = await verifyNote(data.checkpoint.note, key);
    var lines = text.split("\n");
    var size = Number(lines[1]), root = b64(lines[2]);
    if (lines[0] !== data.checkpoint.origin || size !== data.checkpoint.size || hex(root) !== data.checkpoint.rootHash) throw new Error("checkpoint: the signed checkpoint differs from the one the report states");
    for (var i = 0; i < data.entries.length; i++) {
      var c = data.entries[i], e;
      try { e = JSON.parse(c.canonical); } catch (err) { throw new Error("entry " + c.seq + ": not valid JSON (changed)"); }
      if (e.seq !== c.seq) throw new Error("entry " + c.seq + ": holds sequence number " + e.seq);
      var r = await rootFromProof(c.seq, size, await leafHash(enc.encode(c.canonical)), c.proof.map(unhex));
      if (!r || !eq(r, root)) throw new Error("entry " + c.seq + ": inclusion proof fails (the entry or its proof was changed)");
    }
    return { key: key.text, size: size, count: data.entries.length };
  }
  function show(ok, msg) {
    var el = document.getElementById("verification");
    el.className = ok ? "ok" : "bad";
    el.textContent = msg;
    document.documentElement.setAttribute("data-verified", ok ? "ok" : "failed");
  }
  async function start(keyText) {
    try {
      var r = await run(keyText);
      show(true, "verified against key " + r.key + ": the signed checkpoint (size " + r.size + ") and the inclusion proofs of all " + r.count + " cited entries");
    } catch (err) { show(false, "verification FAILED: " + (err && err.message ? err.message : String(err))); }
  }
  var form = document.getElementById("key-form");
  form.addEventListener("submit", function (ev) { ev.preventDefault(); start(document.getElementById("key-input").value); });
  if (!window.crypto || !crypto.subtle) show(false, "verification FAILED: this browser has no WebCrypto (open the file in a current browser)");
  else start(document.getElementById("key-input").value);
})();
`;
