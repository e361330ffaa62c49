import { authEnv, type AuthConfig } from '@hc/config';
import { createTokenVerifier, StaticKeyResolver } from '@hc/auth';
import type { SubgraphDefinition } from '@hc/service';
import { buildAuthSchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import { KeyStore } from './modules/keys/key-store.js';
import { jwksRoute } from './modules/keys/jwks.route.js';
import type { AuthSubgraphContext } from './context.js';

/** The auth subgraph: accounts, tokens, profiles. No env reads here: config comes in. */
export const authSubgraph: SubgraphDefinition<AuthConfig, AuthSubgraphContext> = {
  name: 'auth',
  envSchema: authEnv,
  port: (c) => c.AUTH_PORT,
  entities,
  migrations,
  migrationsDir,
  buildSchema: buildAuthSchema,
  createRuntime: async (config, { orm }) => {
    const keys = KeyStore.load({
      pem: config.JWT_PRIVATE_KEY,
      file: config.JWT_PRIVATE_KEY_FILE,
      dir: config.KEYS_DIR,
      production: config.NODE_ENV === 'production',
    });
    const { schema } = await buildAuthSchema();
    return {
      schema,
      routes: jwksRoute(keys),
      // auth verifies with its own keys; the other services fetch them from the JWKS route.
      verifyToken: createTokenVerifier({
        keys: new StaticKeyResolver(keys.jwks().keys),
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
      }),
      buildContext: (base) => ({ ...base, em: orm.em.fork() }),
    };
  },
};
