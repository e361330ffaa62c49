// Loads TypeScript sources with SWC (legacy decorators + decorator metadata, which
// type-graphql and MikroORM's ReflectMetadataProvider need) for every service and script.
import 'reflect-metadata';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

process.env.SWC_NODE_PROJECT ??= fileURLToPath(new URL('../tsconfig.json', import.meta.url));
register('@swc-node/register/esm', import.meta.url);
