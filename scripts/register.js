// Loads TypeScript sources with SWC (legacy decorators + decorator metadata, which
// type-graphql and MikroORM's ReflectMetadataProvider need) for every service and script.
//
// In-thread hooks (module.registerHooks), transpiling with @swc/core's transformSync and the same
// options as the image's precompile step (deploy/image/build.mjs). Not @swc-node/register: its
// hooks run in a loader worker thread with its own V8 heap, which also loads the whole `typescript`
// package to read tsconfig.json — ≈ 100 MB more RSS in every process (docs/performance.md, "Memory").
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';
import { transformSync } from '@swc/core';

const options = {
  swcrc: false,
  configFile: false,
  sourceMaps: false,
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2023',
    keepClassNames: true,
  },
  module: { type: 'es6' },
};

const isOwnTs = (url) => url.startsWith('file:') && /\.[cm]?ts$/.test(url) && !url.includes('/node_modules/');

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      // NodeNext style: `./server.js` in a .ts file means `./server.ts`.
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !/^\.{1,2}\/.*\.js$/.test(specifier)) throw error;
      if (!context.parentURL || !isOwnTs(context.parentURL)) throw error;
      return nextResolve(specifier.replace(/\.js$/, '.ts'), context);
    }
  },
  load(url, context, nextLoad) {
    if (!isOwnTs(url)) return nextLoad(url, context);
    const filename = fileURLToPath(url);
    const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename });
    return { format: 'module', source: code, shortCircuit: true };
  },
});
