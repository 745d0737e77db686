import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../../core/errors.js";
import { writeFileAtomic } from "../../core/fs.js";
import { parseFormat, say, writeJson, writeOut, progress, color } from "../output.js";
import { loadConfigFast } from "../../config/fast.js";

interface Common {
  ledger?: string;
  keyFile?: string;
}

/** `audit ...`: the tamper-evident ledger. */
export function register(program: Command): void {
  const audit = program.command("audit").description("tamper-evident audit ledger (RFC 6962 Merkle tree, signed C2SP checkpoints)");
  const withLedger = (c: Command) => c.option("--ledger <location>", "ledger directory or postgres:// URL (default: GITOPS_HEALTH_LEDGER, config ledger.location, .gitops-health/ledger)");

  const open = async (opts: Common) => {
    const { openLedger } = await import("../../audit/index.js");
    const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
    const ledger = await openLedger(opts.ledger ?? process.env.GITOPS_HEALTH_LEDGER ?? config.ledger.location);
    for (const w of ledger.warnings) say(color.yellow(`warning: ledger ${ledger.location}: ${w}`));
    return ledger;
  };
  const keyFile = async (opts: Common) => {
    const { defaultKeyFile } = await import("../../audit/keys.js");
    const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
    return defaultKeyFile(process.cwd(), opts.keyFile ?? config.ledger.keyFile);
  };

  audit
    .command("keygen")
    .description("create the Ed25519 checkpoint signing key (mode 0600) and print its verifier key")
    .option("--origin <name>", "log origin / key name (default gitops-health/<repo>)")
    .option("--key-file <file>", "where to write the signer key (default .gitops-health/keys/ledger.key)")
    .action(async (opts: Common & { origin?: string }) => {
      const { createKey, defaultOrigin } = await import("../../audit/keys.js");
      const file = await keyFile(opts);
      const { verifierKey } = createKey(file, opts.origin ?? defaultOrigin());
      say(`wrote signer key ${file} (0600) and ${file}.pub; give auditors the verifier key:`);
      writeOut(verifierKey);
    });

  withLedger(audit.command("append").description("append an entry; prints its sequence number and leaf hash"))
    .requiredOption("--type <type>", "entry type, e.g. deployment")
    .option("--subject <subject>", "what it is about: commit, run ID ...")
    .option("--actor <actor>", "who (default: git user.email)")
    .option("--data <json>", "payload as JSON, or @file")
    .option("--format <format>", "text | json", "text")
    .action(async (opts: Common & { type: string; subject?: string; actor?: string; data?: string; format: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const { isReservedType } = await import("../../audit/reserved.js");
      if (isReservedType(opts.type)) throw new UserError(`entry type "${opts.type}" is reserved: only the subsystem that produces it writes it (checks: gitops-health check run; runs and approvals: run, approve)`);
      let payload: unknown = null;
      if (opts.data !== undefined) {
        let text = opts.data;
        if (text.startsWith("@")) {
          try {
            text = readFileSync(resolve(text.slice(1)), "utf8");
          } catch {
            throw new UserError(`cannot read ${text.slice(1)}`);
          }
        }
        try {
          payload = JSON.parse(text);
        } catch (err) {
          throw new UserError(`--data is not valid JSON: ${(err as Error).message}`);
        }
      }
      const ledger = await open(opts);
      try {
        const r = await ledger.append({ type: opts.type, subject: opts.subject, actor: opts.actor, payload });
        if (format === "json") writeJson(r);
        else writeOut(`${r.seq} ${r.leafHash}`);
      } finally {
        await ledger.close();
      }
    });

  withLedger(audit.command("log").description("list entries"))
    .option("--since <time>", "ISO time or date")
    .option("--type <type>", "entry type (prefix* allowed)")
    .option("--actor <actor>")
    .option("--subject <subject>")
    .option("--format <format>", "text | json", "text")
    .action(async (opts: Common & { since?: string; type?: string; actor?: string; subject?: string; format: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const ledger = await open(opts);
      try {
        const out = [];
        for await (const e of ledger.query({ since: opts.since, type: opts.type, actor: opts.actor, subject: opts.subject })) {
          if (format === "json") out.push(e);
          else writeOut(`${e.seq}\t${e.time}\t${e.type}\t${e.actor}\t${e.subject ?? "-"}\t${JSON.stringify(e.payload)}`);
        }
        if (format === "json") writeJson(out);
      } finally {
        await ledger.close();
      }
    });

  withLedger(audit.command("checkpoint").description("sign the current tree head (C2SP checkpoint) and print it"))
    .option("--key-file <file>", "signer key (default .gitops-health/keys/ledger.key)")
    .action(async (opts: Common) => {
      const { loadSigner } = await import("../../audit/keys.js");
      const signer = loadSigner(await keyFile(opts));
      const ledger = await open(opts);
      try {
        const { note } = await ledger.checkpoint(signer);
        writeOut(note.trimEnd());
      } finally {
        await ledger.close();
      }
    });

  withLedger(audit.command("prove").description("inclusion proof for entry SEQ, or --consistency OLD NEW"))
    .argument("[seq]", "entry sequence number")
    .option("--size <n>", "tree size to prove against (default: current)")
    .option("--consistency <sizes...>", "OLD NEW: consistency proof between two tree sizes")
    .action(async (seqText: string | undefined, opts: Common & { size?: string; consistency?: string[] }) => {
      const int = (s: string, what: string) => {
        if (!/^\d+$/.test(s)) throw new UserError(`${what} must be a non-negative integer, got "${s}"`);
        return Number(s);
      };
      const ledger = await open(opts);
      try {
        if (opts.consistency) {
          if (opts.consistency.length !== 2) throw new UserError("--consistency takes OLD NEW");
          writeJson(await ledger.proveConsistency(int(opts.consistency[0]!, "OLD"), int(opts.consistency[1]!, "NEW")));
          return;
        }
        if (seqText === undefined) throw new UserError("audit prove needs SEQ or --consistency OLD NEW");
        const p = await ledger.proveInclusion(int(seqText, "SEQ"), opts.size === undefined ? undefined : int(opts.size, "--size"));
        const checkpoint = (await ledger.checkpointForSize(p.treeSize)) ?? null;
        writeJson({ index: p.index, treeSize: p.treeSize, leafHash: p.leafHash, proof: p.proof, rootHash: p.rootHash, checkpoint });
      } finally {
        await ledger.close();
      }
    });

  withLedger(audit.command("verify").description("recompute the tree, check every signature and saved checkpoint; or check an exported bundle"))
    .option("--key <vkey>", "trusted verifier key (name+id+key, or @file)")
    .option("--since-checkpoint <file>", "a checkpoint you saved earlier (signed note); repeatable", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--bundle <file>", "verify an evidence bundle offline instead of the ledger")
    .option("--format <format>", "text | json", "text")
    .action(async (opts: Common & { key?: string; sinceCheckpoint: string[]; bundle?: string; format: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const { loadVerifier } = await import("../../audit/keys.js");
      const trusted = opts.key ? loadVerifier(opts.key) : undefined;
      if (opts.bundle) {
        const { parseBundle, verifyBundle } = await import("../../audit/bundle.js");
        let bundle;
        try {
          bundle = parseBundle(readFileSync(resolve(opts.bundle), "utf8"));
        } catch (err) {
          throw new UserError(`${opts.bundle}: not a valid evidence bundle (${(err as Error).message.split("\n")[0]})`);
        }
        const r = verifyBundle(bundle, trusted);
        if (format === "json") writeJson(r);
        else say(r.ok ? color.green(`bundle OK: ${r.entries} entries proven against the signed checkpoint (tree size ${bundle.treeSize})`) : color.red(`bundle FAILED: ${r.problem}`));
        if (!trusted) say("note: verified with the key inside the bundle; pass --key with your own trusted copy for an independent check");
        process.exitCode = r.ok ? 0 : 1;
        return;
      }
      const saved = opts.sinceCheckpoint.map((f) => {
        try {
          return readFileSync(resolve(f), "utf8");
        } catch {
          throw new UserError(`cannot read checkpoint ${f}`);
        }
      });
      const ledger = await open(opts);
      const bar = progress("verifying ledger");
      try {
        const r = await ledger.verify({ verifiers: trusted ? [trusted] : [], savedCheckpoints: saved, onProgress: (n) => bar.update(`${n} entries`) });
        bar.done();
        if (format === "json") writeJson(r);
        else if (r.ok) say(color.green(`ledger OK: ${r.size} entries, root ${r.rootHash}, ${r.checkpointsChecked} checkpoint(s) checked${trusted ? " with the given key" : " (no --key: signatures not checked)"}`));
        else say(color.red(`ledger FAILED: ${r.problem}`));
        process.exitCode = r.ok ? 0 : 1;
      } finally {
        await ledger.close();
      }
    });

  withLedger(audit.command("export").description("write an evidence bundle: entries, inclusion proofs, signed checkpoint, verifier key"))
    .option("--from <time>", "first entry time (ISO time or date)")
    .option("--to <time>", "last entry time (a bare date includes that whole day)")
    .option("--format <format>", "json | csv | markdown", "json")
    .requiredOption("--out <file>", "output file (written atomically)")
    .option("--key-file <file>", "signer key used to sign a fresh checkpoint")
    .action(async (opts: Common & { from?: string; to?: string; format: string; out: string }) => {
      const format = parseFormat(opts.format, ["json", "csv", "markdown"] as const, "json");
      const { loadSigner } = await import("../../audit/keys.js");
      const { buildBundle, bundleToCsv, bundleToMarkdown } = await import("../../audit/bundle.js");
      const { formatVerifierKey } = await import("../../core/note-key.js");
      const signer = loadSigner(await keyFile(opts));
      const to = opts.to && /^\d{4}-\d{2}-\d{2}$/.test(opts.to) ? `${opts.to}T23:59:59.999Z` : opts.to;
      const ledger = await open(opts);
      try {
        const { note } = await ledger.checkpoint(signer);
        const bundle = await buildBundle(ledger, { from: opts.from, to, checkpoint: note, verifierKey: formatVerifierKey(signer) });
        const text = format === "json" ? JSON.stringify(bundle, null, 2) + "\n" : format === "csv" ? bundleToCsv(bundle) : bundleToMarkdown(bundle);
        writeFileAtomic(resolve(opts.out), text);
        say(`wrote ${bundle.entries.length} entries with inclusion proofs to ${opts.out} (tree size ${bundle.treeSize})`);
      } finally {
        await ledger.close();
      }
    });
}
