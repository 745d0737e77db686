import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateNoteSigner } from "../../src/core/note-key.js";
import { makeTempDir } from "./repo.js";

/** A real signed-note producer key (as `audit keygen` makes), outside any repository. */
export function makeProducer(name = "ci.example.invalid"): {
  keyFile: string;
  vkey: string;
  yaml: string;
  env: Record<string, string>;
} {
  const dir = makeTempDir("gh-producer-");
  const { signerKey, verifierKey } = generateNoteSigner(name);
  const keyFile = join(dir, "producer.key");
  writeFileSync(keyFile, signerKey + "\n", { mode: 0o600 });
  return {
    keyFile,
    vkey: verifierKey,
    yaml: `evidence:\n  allowedProducers: ["${verifierKey}"]\n`,
    env: { GITOPS_HEALTH_EVIDENCE_KEY: keyFile },
  };
}
