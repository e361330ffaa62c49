# One image for the gateway and the four subgraphs; SERVICE picks which one runs.
# TypeScript runs from source through @swc-node/register (a production dependency), so there is
# no separate compile step: what the tests run is what ships.

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
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node . .
RUN rm -rf .git bench docs && mkdir -p /app/.keys /app/.mail && chown node:node /app/.keys /app/.mail
USER node
EXPOSE 3000 3001 3002 3003 3004
ENTRYPOINT ["/app/docker/entrypoint.sh"]
