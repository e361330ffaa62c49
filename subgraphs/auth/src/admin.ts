// What operator scripts outside this workspace (seed, create-admin, key rotation) may use of
// auth, exported as `@hc/auth-subgraph/admin`. Anything not listed here is internal.
export { User, Role } from './modules/user/user.entity.js';
export { createAdmin } from './modules/user/create-admin.js';
export { PasswordHasher } from './modules/password/password.js';
export { publishUserChanged } from './modules/events/user-events.js';
export { KeyStore } from './modules/keys/key-store.js';
export { TokenService } from './modules/tokens/token.service.js';
