/**
 * Lint rules for the project's Dockerfile, on the dockerfile-ast parse tree (the image itself is
 * not built here: no Docker daemon or registry). Each rule returns the problems it finds.
 */
import { DockerfileParser, type Instruction, JSONInstruction } from "dockerfile-ast";

interface Stage {
  name: string | null;
  image: string | null;
  tag: string | null;
  digest: string | null;
  instructions: Instruction[];
}

function stages(text: string): Stage[] {
  const df = DockerfileParser.parse(text);
  const out: Stage[] = [];
  for (const ins of df.getInstructions()) {
    if (ins.getKeyword() === "FROM") {
      const from = df.getFROMs().find((f) => f.getRange().start.line === ins.getRange().start.line)!;
      out.push({
        name: from.getBuildStage(),
        image: from.getImageName(),
        tag: from.getImageTag(),
        digest: from.getImageDigest(),
        instructions: [],
      });
    } else out.at(-1)?.instructions.push(ins);
  }
  return out;
}

const args = (i: Instruction) => i.getArgumentsContent() ?? "";
const jsonArgs = (i: Instruction) =>
  i instanceof JSONInstruction ? i.getJSONStrings().map((s) => s.getJSONValue()) : undefined;

export const DOCKERFILE_RULES: Record<string, (text: string) => string[]> = {
  "multi-stage": (t) => {
    const s = stages(t);
    const p: string[] = [];
    if (s.length < 2) p.push(`${s.length} stage(s): build and runtime must be separate stages`);
    for (const st of s) if (!st.tag && !st.digest) p.push(`FROM ${st.image}: pin a tag or digest`);
    for (const st of s) if (st.tag === "latest") p.push(`FROM ${st.image}:latest: pin a version`);
    const last = s.at(-1);
    if (last && !last.instructions.some((i) => i.getKeyword() === "COPY" && /--from=/.test(i.getTextContent())))
      p.push("the final stage copies nothing from a build stage");
    return p;
  },
  "final-stage-production-deps": (t) => {
    const last = stages(t).at(-1);
    const runs = (last?.instructions ?? []).filter((i) => i.getKeyword() === "RUN").map(args);
    const p: string[] = [];
    if (!runs.some((r) => /\bnpm ci\b[^&;|]*--omit=dev/.test(r)))
      p.push("the final stage must install with `npm ci --omit=dev`");
    if (runs.some((r) => /\bnpm (install|i)\b/.test(r)))
      p.push("the final stage must not run `npm install` (not reproducible from the lock file)");
    return p;
  },
  "non-root-user": (t) => {
    const last = stages(t).at(-1);
    const ins = last?.instructions ?? [];
    const users = ins.filter((i) => i.getKeyword() === "USER");
    if (!users.length) return ["the final stage sets no USER (it would run as root)"];
    const user = args(users.at(-1)!);
    const [uid = "", gid] = user.split(":");
    const p: string[] = [];
    if (!/^\d+$/.test(uid)) p.push(`USER ${user}: give a numeric uid so that Kubernetes runAsNonRoot can verify it`);
    if (uid === "0" || uid === "root" || gid === "0" || gid === "root") p.push(`USER ${user}: must not be root`);
    const lastUser = ins.lastIndexOf(users.at(-1)!);
    if (ins.some((i, n) => n > lastUser && i.getKeyword() === "USER")) p.push("USER changed again later");
    return p;
  },
  "writes-only-data": (t) => {
    const last = stages(t).at(-1);
    const ins = last?.instructions ?? [];
    const p: string[] = [];
    const volumes = ins.filter((i) => i.getKeyword() === "VOLUME").flatMap((i) => jsonArgs(i) ?? args(i).split(/\s+/));
    if (volumes.join(",") !== "/data")
      p.push(`VOLUME must be exactly /data (the only writable place), got ${volumes.join(", ") || "none"}`);
    const workdir = ins.filter((i) => i.getKeyword() === "WORKDIR").at(-1);
    if (!workdir || args(workdir) !== "/data")
      p.push(
        "the final WORKDIR must be /data, so state the CLI writes relative to the working directory lands on the volume",
      );
    return p;
  },
  healthcheck: (t) => {
    const last = stages(t).at(-1);
    const hc = (last?.instructions ?? []).filter((i) => i.getKeyword() === "HEALTHCHECK");
    if (hc.length !== 1) return [`the final stage needs exactly one HEALTHCHECK, has ${hc.length}`];
    const text = hc[0]!.getTextContent();
    const p: string[] = [];
    if (!/\bCMD\s+\[\s*"node"/.test(text))
      p.push("HEALTHCHECK must run node (exec form): slim images have no curl or wget");
    if (/\b(curl|wget)\b/.test(text)) p.push("HEALTHCHECK uses curl/wget, which the slim image lacks");
    if (!/127\.0\.0\.1:8080\/health\b/.test(text)) p.push("HEALTHCHECK must ask http://127.0.0.1:8080/health");
    return p;
  },
  entrypoint: (t) => {
    const last = stages(t).at(-1);
    const ins = last?.instructions ?? [];
    const eps = ins.filter((i) => i.getKeyword() === "ENTRYPOINT");
    const p: string[] = [];
    if (eps.length !== 1) return [`the final stage needs exactly one ENTRYPOINT, has ${eps.length}`];
    const ep = jsonArgs(eps[0]!);
    if (!ep || ep.length !== 1 || ep[0] !== "gitops-health")
      p.push(`ENTRYPOINT must be the exec form ["gitops-health"], got ${eps[0]!.getTextContent()}`);
    // the binary is dist/cli.js: something in the final stage must put it on PATH as gitops-health
    const runs = ins.filter((i) => i.getKeyword() === "RUN").map(args);
    if (!runs.some((r) => /\bln -s\S* +\/app\/dist\/cli\.js +\/usr\/local\/bin\/gitops-health\b/.test(r)))
      p.push("dist/cli.js is not linked onto PATH as /usr/local/bin/gitops-health");
    if (!runs.some((r) => /chmod [0-7]*7[0-7]* +\/app\/dist\/cli\.js|chmod \+x +\/app\/dist\/cli\.js/.test(r)))
      p.push("dist/cli.js is not made executable");
    return p;
  },
};

export function lintDockerfile(text: string): string[] {
  return Object.entries(DOCKERFILE_RULES).flatMap(([rule, check]) => check(text).map((m) => `${rule}: ${m}`));
}
