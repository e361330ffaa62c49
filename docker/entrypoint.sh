#!/bin/sh
# Starts one service of the image: SERVICE=gateway|auth|doctor|notification|pharmacy
# The image is precompiled (deploy/image/build.mjs): main.js runs with plain node. From a source
# checkout (no main.js) the TypeScript runs through @swc-node/register as in development.
set -e
case "$SERVICE" in
  gateway) entry=gateway/src/main ;;
  auth|doctor|notification|pharmacy) entry="subgraphs/$SERVICE/src/main" ;;
  *) echo "SERVICE must be gateway, auth, doctor, notification or pharmacy (got '$SERVICE')" >&2; exit 64 ;;
esac
# V8 flags of every service, the same as scripts/node-flags.ts (why: docs/performance.md, "Memory").
NODE_FLAGS="--max-semi-space-size=4"
if [ -f "$entry.js" ]; then
  exec node $NODE_FLAGS --import reflect-metadata "$entry.js"
fi
exec node $NODE_FLAGS --import ./scripts/register.js "$entry.ts"
