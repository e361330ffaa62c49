import type { Express } from 'express';
import type { KeyStore } from './key-store.js';

/** GET /.well-known/jwks.json: the public keys the gateway and subgraphs verify access tokens with. */
export function jwksRoute(keys: KeyStore) {
  return (app: Express) => {
    app.get('/.well-known/jwks.json', (_req, res) => {
      res.setHeader('cache-control', 'public, max-age=300');
      res.json(keys.jwks());
    });
  };
}
