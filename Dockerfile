# syntax=docker/dockerfile:1
# gitops-health container image: the same image runs `serve`, `db migrate` or any CLI command
# (`docker run IMAGE scan --staged`, `docker run IMAGE audit verify`, ...).
# Not built or run in this project's tests (no Docker daemon or registry here): the tests lint
# this file (test/packaging.test.ts). See README.md, "Container image".

# --- build: all dependencies, compile, then pack exactly the files npm would publish ---
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build \
 && npm pack --ignore-scripts --pack-destination /tmp \
 && mkdir -p /out \
 && tar -xzf /tmp/gitops-health-*.tgz -C /out --strip-components=1 \
 && cp package-lock.json /out/

# --- runtime: production dependencies only, non-root, writes only to /data ---
FROM node:20-bookworm-slim AS runtime
# git: most commands read a repository; ssh-keygen (openssh-client): SSH-signed approvals.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /out/ ./
RUN npm ci --omit=dev --ignore-scripts \
 && npm cache clean --force \
 && chmod 0755 /app/dist/cli.js \
 && ln -s /app/dist/cli.js /usr/local/bin/gitops-health \
 && mkdir -p /data \
 && chown 1000:1000 /data
# serve warms its decision route up before it listens (2-3 s of start-up, 24% less CPU per decision in
# the first seconds), and a larger young generation cuts scavenges per 1,000 decisions from 9 to 2.3
# (docs/BENCHMARKS.md, "## HTTP service"; about 80 MB more RSS).
ENV NODE_ENV=production \
    HOME=/data \
    GITOPS_HEALTH_WARM_UP=1000 \
    NODE_OPTIONS=--max-semi-space-size=64
# The only writable place: mount a volume (Kubernetes: a PVC or emptyDir) here; the root
# filesystem can be read-only. The working directory is /data so .gitops-health/ lands there.
VOLUME ["/data"]
WORKDIR /data
# uid/gid 1000 is the image's unprivileged `node` user; numeric so that runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# No curl in slim images: node asks /health itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["gitops-health"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
