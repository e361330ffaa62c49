# One image for the gateway and the four subgraphs; SERVICE picks which one runs
# (docker/entrypoint.sh). The TypeScript is compiled with SWC at build time
# (deploy/image/build.mjs): the services start with plain `node`, no transpiling on every boot
# (measured in docs/deployment.md, "The image"). The runtime stage holds production dependencies,
# the compiled services, migrations and operator scripts, and nothing else: no sources, tests,
# benchmarks or docs (.dockerignore + the build step).

FROM node:24-slim AS deps
WORKDIR /app
# Native modules (bcrypt, msgpackr) use their prebuilds; build tools are only a fallback.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
COPY gateway/package.json gateway/
COPY subgraphs/auth/package.json subgraphs/auth/
COPY subgraphs/doctor/package.json subgraphs/doctor/
COPY subgraphs/notification/package.json subgraphs/notification/
COPY subgraphs/pharmacy/package.json subgraphs/pharmacy/
COPY shared/auth/package.json shared/auth/
COPY shared/config/package.json shared/config/
COPY shared/db/package.json shared/db/
COPY shared/graphql/package.json shared/graphql/
COPY shared/jobs/package.json shared/jobs/
COPY shared/logger/package.json shared/logger/
COPY shared/service/package.json shared/service/
COPY shared/testing/package.json shared/testing/
COPY tools/package.json tools/
RUN npm ci --omit=dev --no-audit --no-fund

FROM deps AS build
COPY . .
# Compile in place, drop the sources, then what only development uses: the SWC toolchain
# (nothing loads it once compiled) and PGlite (npm start's embedded database, never in a container).
RUN node deploy/image/build.mjs --remove-sources \
  && rm -rf node_modules/@swc node_modules/@swc-node node_modules/@electric-sql \
  && find . -path ./node_modules -prune -o \( -name '*.test.ts' -o -name 'jest.config.js' -o -name 'tsconfig*.json' \) -print0 | xargs -0 rm -f \
  && rm -rf deploy/k8s scripts/register.js

FROM node:24-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
# Owned by root, read-only to the service user (uid 1000 `node`, the runAsUser of deploy/k8s):
# nothing in /app is writable; the pods mount emptyDirs for /tmp, /app/.keys and /app/.mail.
COPY --from=build /app /app
RUN mkdir -p /app/.keys /app/.mail && chown node:node /app/.keys /app/.mail
USER node
EXPOSE 3000 3001 3002 3003 3004
# Healthy = ready to serve (/ready: a subgraph's database and Redis answer; the gateway's subgraphs do).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "deploy/image/healthcheck.mjs"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
