# syntax=docker/dockerfile:1.7
# One image recipe for every app of the monorepo.
#
#   Node service or worker:  docker buildx build --build-arg APP=auth --target runtime .
#   Web client static files: docker buildx build --build-arg APP=web --target web --output type=local,dest=out .
#
# The Node base is pinned by version AND by the digest of its multi-arch index (linux/amd64 and
# linux/arm64 manifests), so a rebuild on the Pi runner and on an amd64 builder start from the
# same bytes. Bump both together (the delivery tests check that the tag and the digest are there).

FROM node:24.19.0-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS node

# ---- toolchain: pnpm at the version of package.json "packageManager" -------------------------
FROM node AS toolchain
ARG PNPM_VERSION=10.34.9
ENV CI=true
RUN npm install --global --no-audit --no-fund --loglevel=error "pnpm@${PNPM_VERSION}"
WORKDIR /repo

# ---- deps: every package of the lock file fetched into the store cache (shared by all apps) ---
# The store lives in a BuildKit cache mount, not in a layer: installs below use it when it is warm
# and download what is missing when it is not (a fresh builder that only has the registry cache).
FROM toolchain AS deps
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store,sharing=locked \
    pnpm fetch --store-dir=/pnpm/store

# ---- build: install the app and its workspace packages, compile, deploy production files -----
FROM deps AS build
ARG APP
COPY . .
RUN if [ -z "${APP}" ]; then echo "build with --build-arg APP=<directory under apps/>" >&2; exit 1; fi \
 && if [ ! -f "apps/${APP}/package.json" ]; then echo "no apps/${APP}/package.json" >&2; exit 1; fi
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store,sharing=locked \
    pnpm install --frozen-lockfile --prefer-offline --store-dir=/pnpm/store \
      --filter "{./apps/${APP}}..." --filter "{.}"
RUN pnpm --filter "{./apps/${APP}}..." run build
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store,sharing=locked \
    pnpm --filter "{./apps/${APP}}" deploy --legacy --prod --prefer-offline --store-dir=/pnpm/store /out \
 && test -f /out/dist/main.js

# ---- web: the static site bundle (served from S3 behind the CDN, not by a container) ----------
FROM deps AS web-build
ARG APP=web
COPY . .
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store,sharing=locked \
    pnpm install --frozen-lockfile --prefer-offline --store-dir=/pnpm/store \
      --filter "{./apps/${APP}}..." --filter "{.}"
RUN pnpm --filter "{./apps/${APP}}..." run build \
 && test -f "apps/${APP}/dist/index.html"

FROM scratch AS web
ARG APP=web
COPY --from=web-build /repo/apps/${APP}/dist/ /

# ---- runtime: the app's production files on a bare Node, as the unprivileged "node" user ------
FROM node AS runtime
# tini (Debian package) is PID 1: it forwards SIGTERM to Node, which drains and exits, and reaps zombies.
# npm, corepack and yarn are removed: nothing installs at run time.
RUN apt-get update \
 && apt-get install --yes --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
 && rm -f /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /app
# Owned by root and not writable by the runtime user: the code cannot be changed by the process,
# and nothing is written under /app, so the root filesystem can be mounted read-only.
COPY --from=build --chown=root:root /out/ /app/
# Source maps: each app's main.ts turns them on for its own code (@hybrid/service-kit/source-maps).
ENV NODE_ENV=production
USER 1000:1000
ENTRYPOINT ["/usr/bin/tini", "--"]
# A workload's catalog `nodeFlags` replace this in its manifest as `node <flags> dist/main.js`.
CMD ["node", "dist/main.js"]
