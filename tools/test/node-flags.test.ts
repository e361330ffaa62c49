// The image's entrypoint starts the services with the same V8 flags as `npm start`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { NODE_FLAGS } from '../../scripts/node-flags.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('service node flags', () => {
  it('docker/entrypoint.sh uses the flags of scripts/node-flags.ts', () => {
    const entrypoint = readFileSync(path.join(root, 'docker/entrypoint.sh'), 'utf8');
    expect(/^NODE_FLAGS="([^"]*)"$/m.exec(entrypoint)?.[1]).toBe(NODE_FLAGS.join(' '));
    expect(entrypoint).toContain('exec node $NODE_FLAGS --import reflect-metadata');
  });
});
