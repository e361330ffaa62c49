import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { keyId } from '@hc/auth';
import { createTestKeys, signTestToken, startSupergraph, type TestSupergraph } from '@hc/testing';
import { supergraph } from '../../../../../scripts/subgraphs.ts';

describe('signing key rotation', () => {
  let sg: TestSupergraph;
  const retired = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  beforeAll(async () => {
    const keys = createTestKeys();
    writeFileSync(path.join(keys.dir, 'retired-2026-01.pem'), retired.export({ format: 'pem', type: 'pkcs8' }));
    sg = await startSupergraph(supergraph, { keys });
  });
  afterAll(async () => {
    await sg?.stop();
  });

  it('publishes active and retired public keys; a token signed by the retired key still verifies', async () => {
    const jwks = (await (await fetch(`${sg.subgraphs.auth.server.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; alg: string }[];
    };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([sg.keys.kid, keyId(retired)].sort());
    expect(jwks.keys.every((k) => k.alg === 'RS256')).toBe(true);
    const old = signTestToken({ ...sg.keys, privateKey: retired, kid: keyId(retired) }, { id: randomUUID(), role: 'PATIENT' });
    const res = await sg.query('{ me { id } }', {}, old);
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    const unknown = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = signTestToken({ ...sg.keys, privateKey: unknown, kid: keyId(unknown) }, { role: 'ADMIN' });
    expect((await sg.query('{ me { id } }', {}, forged)).status).toBe(401);
  });
});
