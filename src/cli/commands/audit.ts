import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../../core/errors.js";
import { parseNonNegativeInt } from "../options.js";
import { writeFileAtomic } from "../../core/fs.js";
import { parseFormat, say, writeJson, writeOut, progress, color } from "../output.js";
import { loadConfigFast } from "../../config/fast.js";
import { serverClient, withServer } from "../server-client.js";
import { readEnv } from "../../config/env.js";

interface Common {
  ledger?: string;
  keyFile?: string;
  server?: string;
}

/** `audit ...`: the tamper-evident ledger. */
export function register(program: Command): void {
  const audit = program
    .command("audit")
    .description("tamper-evident audit ledger (RFC 6962 Merkle tree, signed C2SP checkpoints)");
  const withLedger = (c: Command) =>
    c.option(
      "--ledger <location>",
      "ledger directory or postgres:// URL (default: GITOPS_HEALTH_LEDGER, config ledger.location, .gitops-health/ledger)",
    );

  const open = async (opts: Common, readOnly = false, quiet = false) => {
    const { openLedger } = await import("../../audit/index.js");
    const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
    const ledger = await openLedger(opts.ledger ?? process.env.GITOPS_HEALTH_LEDGER ?? config.ledger.location, {
      readOnly,
    });
    if (!quiet) for (const w of ledger.warnings) say(color.yellow(`warning: ledger ${ledger.location}: ${w}`));
    return ledger;
  };
  const keyFile = async (opts: Common) => {
    const { defaultKeyFile } = await import("../../audit/keys.js");
    const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
    return defaultKeyFile(process.cwd(), opts.keyFile ?? config.ledger.keyFile ?? readEnv().ledgerKey);
  };

  /** The signer key file for signing: the configured or default one (legacy in-repo location as a fallback). */
  const signerFile = async (opts: Common) => {
    const { signerKeyFile } = await import("../../audit/keys.js");
    const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
    const r = signerKeyFile(process.cwd(), opts.keyFile ?? config.ledger.keyFile ?? readEnv().ledgerKey);
    if (r.warning) say(color.yellow(`warning: ${r.warning}`));
    return r.file;
  };
  /** The trusted verifier key: --key, else the .pub written next to the configured signer key. */
  const verifierFor = async (opts: Common & { key?: string }, required: boolean) => {
    const { loadVerifier } = await import("../../audit/keys.js");
    if (opts.key) return loadVerifier(opts.key);
    if (!required) return undefined;
    const pub = `${await signerFile(opts)}.pub`;
    if (!existsSync(pub))
      throw new UserError(`a trusted verifier key is needed: pass --key (name+id+key or @file); no ${pub} either`);
    say(`using verifier key ${pub}`);
    return loadVerifier(`@${pub}`);
  };
  const readText = (f: string, what: string) => {
    try {
      return readFileSync(resolve(f), "utf8");
    } catch {
      throw new UserError(`cannot read ${what} ${f}`);
    }
  };

  audit
    .command("keygen")
    .description(
      "create the Ed25519 checkpoint signing key (mode 0600, outside the repository) and print its verifier key",
    )
    .option("--origin <name>", "log origin / key name (default gitops-health/<repo>)")
    .option(
      "--key-file <file>",
      "where to write the signer key (default $XDG_CONFIG_HOME/gitops-health/keys/<repo>-<id>.key)",
    )
    .option("--force-in-repo", "allow writing the private key inside a git work tree (it is then added to .gitignore)")
    .action(async (opts: Common & { origin?: string; forceInRepo?: boolean }) => {
      const { createKey, defaultOrigin } = await import("../../audit/keys.js");
      const file = await keyFile(opts);
      const { verifierKey, ignoredIn } = createKey(file, opts.origin ?? defaultOrigin(), {
        forceInRepo: opts.forceInRepo === true,
      });
      say(`wrote signer key ${file} (0600) and ${file}.pub; give auditors the verifier key:`);
      if (ignoredIn) say(color.yellow(`warning: the private key is inside the work tree; added it to ${ignoredIn}`));
      writeOut(verifierKey);
    });

  withServer(
    withLedger(audit.command("append").description("append an entry; prints its sequence number and leaf hash")),
  )
    .requiredOption("--type <type>", "entry type, e.g. deployment")
    .option("--subject <subject>", "what it is about: commit, run ID ...")
    .option("--actor <actor>", "who (default: git user.email)")
    .option("--data <json>", "payload as JSON, or @file")
    .option("--format <format>", "text | json", "text")
    .action(
      async (opts: Common & { type: string; subject?: string; actor?: string; data?: string; format: string }) => {
        const format = parseFormat(opts.format, ["text", "json"] as const, "text");
        const { isReservedType } = await import("../../audit/reserved.js");
        if (isReservedType(opts.type))
          throw new UserError(
            `entry type "${opts.type}" is reserved: only the subsystem that produces it writes it (checks: gitops-health check run; runs and approvals: run, approve)`,
          );
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
        const remote = await serverClient(opts);
        if (remote) {
          // The service records the authenticated caller as the actor, never a claimed one.
          if (opts.actor !== undefined)
            say(
              color.yellow(
                "warning: --actor is ignored with --server: the service records the caller its token proves",
              ),
            );
          const r = await remote.append({ type: opts.type, subject: opts.subject, payload });
          if (format === "json") writeJson(r);
          else writeOut(`${r.seq} ${r.leafHash}`);
          return;
        }
        const ledger = await open(opts);
        try {
          const r = await ledger.append({ type: opts.type, subject: opts.subject, actor: opts.actor, payload });
          if (format === "json") writeJson(r);
          else writeOut(`${r.seq} ${r.leafHash}`);
        } finally {
          await ledger.close();
        }
      },
    );

  withServer(withLedger(audit.command("log").description("list entries")))
    .option("--since <time>", "ISO time or date")
    .option("--type <type>", "entry type (prefix* allowed)")
    .option("--actor <actor>")
    .option("--subject <subject>")
    .option("--format <format>", "text | json", "text")
    .action(
      async (opts: Common & { since?: string; type?: string; actor?: string; subject?: string; format: string }) => {
        const format = parseFormat(opts.format, ["text", "json"] as const, "text");
        const remote = await serverClient(opts);
        if (remote) {
          // The service filters by type and subject; since and actor are applied here.
          const { matchesQuery } = await import("../../audit/ledger.js");
          const out = [];
          for await (const e of remote.entries({
            type: opts.type?.endsWith("*") ? undefined : opts.type,
            subject: opts.subject,
          })) {
            if (!matchesQuery(e, { since: opts.since, type: opts.type, actor: opts.actor, subject: opts.subject }))
              continue;
            if (format === "json") out.push(e);
            else
              writeOut(`${e.seq}\t${e.time}\t${e.type}\t${e.actor}\t${e.subject ?? "-"}\t${JSON.stringify(e.payload)}`);
          }
          if (format === "json") writeJson(out);
          return;
        }
        const ledger = await open(opts, true);
        try {
          const out = [];
          for await (const e of ledger.query({
            since: opts.since,
            type: opts.type,
            actor: opts.actor,
            subject: opts.subject,
          })) {
            if (format === "json") out.push(e);
            else
              writeOut(`${e.seq}\t${e.time}\t${e.type}\t${e.actor}\t${e.subject ?? "-"}\t${JSON.stringify(e.payload)}`);
          }
          if (format === "json") writeJson(out);
        } finally {
          await ledger.close();
        }
      },
    );

  withServer(
    withLedger(
      audit
        .command("checkpoint")
        .description(
          "sign the current tree head (C2SP checkpoint) and print it; with --server, the service's signed checkpoint",
        ),
    ),
  )
    .option("--key-file <file>", "signer key (default: see audit keygen)")
    .action(async (opts: Common) => {
      const remote = await serverClient(opts);
      if (remote) {
        writeOut((await remote.checkpoint()).note.trimEnd());
        return;
      }
      const { loadSigner } = await import("../../audit/keys.js");
      const signer = loadSigner(await signerFile(opts));
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
      const int = parseNonNegativeInt;
      const ledger = await open(opts, true);
      try {
        if (opts.consistency) {
          if (opts.consistency.length !== 2) throw new UserError("--consistency takes OLD NEW");
          writeJson(await ledger.proveConsistency(int(opts.consistency[0]!, "OLD"), int(opts.consistency[1]!, "NEW")));
          return;
        }
        if (seqText === undefined) throw new UserError("audit prove needs SEQ or --consistency OLD NEW");
        const p = await ledger.proveInclusion(
          int(seqText, "SEQ"),
          opts.size === undefined ? undefined : int(opts.size, "--size"),
        );
        const checkpoint = (await ledger.checkpointForSize(p.treeSize)) ?? null;
        writeJson({
          index: p.index,
          treeSize: p.treeSize,
          leafHash: p.leafHash,
          proof: p.proof,
          rootHash: p.rootHash,
          checkpoint,
        });
      } finally {
        await ledger.close();
      }
    });

  withServer(
    withLedger(
      audit
        .command("verify")
        .description(
          "read-only: recompute the tree, check every signature and checkpoint; or check a bundle, or two checkpoints' consistency; with --server, the service's signed checkpoint and its consistency with yours",
        ),
    ),
  )
    .option("--key <vkey>", "trusted verifier key (name+id+key, or @file)")
    .option(
      "--checkpoint <file>",
      "a trusted signed checkpoint from outside (an auditor's or witness's copy): the ledger must extend it; repeatable",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      "--since-checkpoint <file>",
      "a checkpoint you saved earlier (signed note); repeatable",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      "--consistency <files...>",
      "OLD NEW: two signed checkpoint files; checks both signatures and the RFC 9162 consistency proof between them",
    )
    .option(
      "--proof <file>",
      "with --consistency: the proof (JSON of 'audit prove --consistency') instead of computing it from the ledger",
    )
    .option("--bundle <file>", "verify an evidence bundle offline instead of the ledger")
    .option("--format <format>", "text | json", "text")
    .action(
      async (
        opts: Common & {
          key?: string;
          checkpoint: string[];
          sinceCheckpoint: string[];
          consistency?: string[];
          proof?: string;
          bundle?: string;
          format: string;
        },
      ) => {
        const format = parseFormat(opts.format, ["text", "json"] as const, "text");
        const remote = await serverClient(opts);
        if (remote) {
          if (opts.bundle || opts.consistency)
            throw new UserError("--bundle and --consistency are offline checks: run them without --server");
          const trusted = (await verifierFor(opts, true))!;
          const r = await verifyRemote(
            remote,
            trusted,
            [...opts.sinceCheckpoint, ...opts.checkpoint].map((f) => readText(f, "checkpoint")),
          );
          if (format === "json") writeJson(r);
          else if (r.ok)
            say(
              color.green(
                `service ledger OK: checkpoint of ${r.size} entries, root ${r.rootHash}, signed by ${trusted.name}; ${r.checkpointsChecked} earlier checkpoint(s) of yours are consistent with it`,
              ),
            );
          else say(color.red(`service ledger FAILED: ${r.problem}`));
          process.exitCode = r.ok ? 0 : 1;
          return;
        }
        if (opts.bundle) {
          const trusted = await verifierFor(opts, false);
          const { parseBundle, verifyBundle } = await import("../../audit/bundle.js");
          let bundle;
          try {
            bundle = parseBundle(readFileSync(resolve(opts.bundle), "utf8"));
          } catch (err) {
            throw new UserError(
              `${opts.bundle}: not a valid evidence bundle (${(err as Error).message.split("\n")[0]})`,
            );
          }
          const r = verifyBundle(bundle, trusted);
          if (format === "json") writeJson(r);
          else
            say(
              r.ok
                ? color.green(
                    `bundle OK: complete: ${r.entries} entries${r.first !== undefined ? ` (${r.first}-${r.last})` : ""}, every entry of ${bundle.range.from || bundle.range.to ? `the range ${bundle.range.from ?? "start"} to ${bundle.range.to ?? "end"}` : "the log"}, proven against the signed checkpoint (tree size ${bundle.treeSize})`,
                  )
                : color.red(`bundle FAILED: ${r.problem}`),
            );
          if (!trusted)
            say(
              "note: verified with the key inside the bundle; pass --key with your own trusted copy for an independent check",
            );
          process.exitCode = r.ok ? 0 : 1;
          return;
        }
        if (opts.consistency) {
          if (opts.consistency.length !== 2)
            throw new UserError("--consistency takes OLD NEW (two signed checkpoint files)");
          const trusted = (await verifierFor(opts, true))!;
          const [oldNote, newNote] = opts.consistency.map((f) => readText(f, "checkpoint")) as [string, string];
          let r;
          if (opts.proof) {
            let proof: string[];
            try {
              const j = JSON.parse(readText(opts.proof, "proof")) as { proof?: unknown };
              if (!Array.isArray(j.proof) || !j.proof.every((h) => typeof h === "string" && /^[0-9a-f]{64}$/.test(h)))
                throw new Error("no proof array of hex hashes");
              proof = j.proof as string[];
            } catch (err) {
              throw new UserError(`${opts.proof}: not a consistency proof (${(err as Error).message})`);
            }
            const { verifyCheckpointConsistency } = await import("../../audit/ledger.js");
            r = verifyCheckpointConsistency(
              oldNote,
              newNote,
              [trusted],
              proof.map((h) => Buffer.from(h, "hex")),
            );
          } else {
            const ledger = await open(opts, true);
            try {
              r = await ledger.checkpointConsistency(oldNote, newNote, [trusted]);
            } finally {
              await ledger.close();
            }
          }
          if (format === "json") writeJson(r);
          else
            say(
              r.ok
                ? color.green(
                    `consistent: the log of size ${r.newSize} extends the log of size ${r.oldSize} (both checkpoints signed by ${trusted.name})`,
                  )
                : color.red(`consistency FAILED: ${r.problem}`),
            );
          process.exitCode = r.ok ? 0 : 1;
          return;
        }
        const trusted = await verifierFor(opts, opts.checkpoint.length > 0);
        const saved = opts.sinceCheckpoint.map((f) => readText(f, "checkpoint"));
        const outside = opts.checkpoint.map((f) => readText(f, "checkpoint"));
        // verify reports the tail itself, with its result
        const ledger = await open(opts, true, true);
        const bar = progress("verifying ledger");
        try {
          const r = await ledger.verify({
            verifiers: trusted ? [trusted] : [],
            savedCheckpoints: saved,
            trustedCheckpoints: outside,
            onProgress: (n) => bar.update(`${n} entries`),
          });
          bar.done();
          if (format === "json") writeJson(r);
          else if (r.ok)
            say(
              color.green(
                `ledger OK: ${r.size} entries, root ${r.rootHash}, ${r.checkpointsChecked} checkpoint(s) checked${trusted ? " with the given key" : " (no --key: signatures not checked)"}`,
              ),
            );
          else say(color.red(`ledger FAILED: ${r.problem}`));
          if (format !== "json") for (const w of r.warnings) say(color.yellow(`warning: ${w}`));
          process.exitCode = r.ok ? 0 : 1;
        } finally {
          await ledger.close();
        }
      },
    );

  withLedger(
    audit
      .command("repair")
      .description(
        "fix a torn tail left by an interrupted append; removed bytes are kept in the ledger's quarantine/ and the repair is recorded",
      ),
  )
    .option("--format <format>", "text | json", "text")
    .action(async (opts: Common & { format: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const ledger = await open(opts);
      try {
        const r = await ledger.repair();
        if (format === "json") writeJson(r);
        else if (!r.repaired) say("nothing to repair");
        else {
          const x = r.report!;
          say(
            `repaired ${ledger.location}: ${x.reindexed} unacknowledged entr${x.reindexed === 1 ? "y" : "ies"} indexed, ${x.removedEntriesBytes} byte(s) cut from entries.log, ${x.removedIndexBytes} from leaves.bin${x.quarantine ? `; removed bytes kept in ${x.quarantine}` : ""}; recorded as entry ${r.seq}`,
          );
        }
      } finally {
        await ledger.close();
      }
    });

  withLedger(
    audit
      .command("export")
      .description("write an evidence bundle: entries, inclusion proofs, signed checkpoint, verifier key"),
  )
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
      const signer = loadSigner(await signerFile(opts));
      const to = opts.to && /^\d{4}-\d{2}-\d{2}$/.test(opts.to) ? `${opts.to}T23:59:59.999Z` : opts.to;
      const ledger = await open(opts);
      try {
        const { note } = await ledger.checkpoint(signer);
        const bundle = await buildBundle(ledger, {
          from: opts.from,
          to,
          checkpoint: note,
          verifierKey: formatVerifierKey(signer),
        });
        const text =
          format === "json"
            ? JSON.stringify(bundle, null, 2) + "\n"
            : format === "csv"
              ? bundleToCsv(bundle)
              : bundleToMarkdown(bundle);
        writeFileAtomic(resolve(opts.out), text);
        say(
          `wrote ${bundle.entries.length} entries with inclusion proofs to ${opts.out} (tree size ${bundle.treeSize})`,
        );
      } finally {
        await ledger.close();
      }
    });
}

/**
 * `audit verify --server`: what a client can check without the entries. The service's current
 * checkpoint must be signed by the trusted key, and every checkpoint the caller kept must be a
 * prefix of it (RFC 9162 consistency proofs fetched from the service, verified here).
 */
async function verifyRemote(
  remote: import("../../client/service.js").ServiceClient,
  trusted: import("../../core/note-key.js").NoteVerifier,
  kept: string[],
): Promise<{ ok: boolean; size?: number; rootHash?: string; checkpointsChecked: number; problem?: string }> {
  const { verifyNote, parseCheckpoint } = await import("../../audit/note.js");
  const { verifyCheckpointConsistency } = await import("../../audit/ledger.js");
  const head = await remote.checkpoint();
  const v = verifyNote(head.note, [trusted]);
  if (!v.ok)
    return {
      ok: false,
      checkpointsChecked: 0,
      problem: `the service's checkpoint does not verify with the given key (${v.reason})`,
    };
  const cp = parseCheckpoint(v.text!);
  const rootHash = cp.rootHash.toString("hex");
  if (cp.size !== head.size || rootHash !== head.rootHash)
    return {
      ok: false,
      checkpointsChecked: 0,
      problem: "the service's answer disagrees with its own signed checkpoint",
    };
  let checked = 0;
  for (const old of kept) {
    const split = old.lastIndexOf("\n\n");
    let oldSize: number;
    try {
      oldSize = parseCheckpoint(old.slice(0, split + 1)).size;
    } catch (err) {
      return {
        ok: false,
        size: cp.size,
        rootHash,
        checkpointsChecked: checked,
        problem: `a kept checkpoint is malformed: ${(err as Error).message}`,
      };
    }
    if (oldSize > cp.size)
      return {
        ok: false,
        size: cp.size,
        rootHash,
        checkpointsChecked: checked,
        problem: `a kept checkpoint has ${oldSize} entries, the service's only ${cp.size}: the log was truncated or forked`,
      };
    const proof = oldSize > 0 && oldSize < cp.size ? (await remote.consistencyProof(oldSize, cp.size)).proof : [];
    const r = verifyCheckpointConsistency(
      old,
      head.note,
      [trusted],
      proof.map((h) => Buffer.from(h, "hex")),
    );
    if (!r.ok) return { ok: false, size: cp.size, rootHash, checkpointsChecked: checked, problem: r.problem };
    checked++;
  }
  return { ok: true, size: cp.size, rootHash, checkpointsChecked: checked };
}
