// npm run docs:api — regenerates docs/api.md (see scripts/api-docs/render.ts).
import { writeFileSync } from 'node:fs';
import { apiDocFile, renderApiDocs } from './api-docs/render.ts';

writeFileSync(apiDocFile, await renderApiDocs());
console.log(`wrote ${apiDocFile}`);
process.exit(0);
