// V8 flags every service process starts with: `npm start` (scripts/start.ts) and bench:memory.
// docker/entrypoint.sh starts the image's services with the same flags (tools/test/node-flags.test.ts
// keeps the two equal).
//
// --max-semi-space-size=4 (MiB): V8 sizes the young generation from the heap limit, which on a
// machine with a few GB of memory lets each semi-space grow to tens of MB; under load that young
// generation is touched and stays resident (≈ 130 MB of heap committed in each idle subgraph).
// Capped at 4 MiB, idle RSS falls by ≈ 30 MB and RSS after load by 60–120 MB per service with no
// measurable CPU cost per request (2 MiB did cost CPU). Figures: docs/performance.md, "Memory".
export const NODE_FLAGS: string[] = ['--max-semi-space-size=4'];
