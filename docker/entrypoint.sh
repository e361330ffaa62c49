#!/bin/sh
# Starts one service of the image: SERVICE=gateway|auth|doctor|notification|pharmacy
set -e
case "$SERVICE" in
  gateway) entry=gateway/src/main.ts ;;
  auth|doctor|notification|pharmacy) entry="subgraphs/$SERVICE/src/main.ts" ;;
  *) echo "SERVICE must be gateway, auth, doctor, notification or pharmacy (got '$SERVICE')" >&2; exit 64 ;;
esac
exec node --import ./scripts/register.js "$entry"
