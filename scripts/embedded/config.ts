// Variables of `npm start` itself (the launcher, not a service). Kept beside the launcher rather
// than in @hc/config: no service reads them, and the README's service table must not list them.
import { z } from 'zod';

const mode = z
  .enum(['auto', 'true', 'false', '1', '0', 'yes', 'no'], { error: 'must be auto, true or false' })
  .transform((v) => (v === 'auto' ? 'auto' : v === 'true' || v === '1' || v === 'yes' ? 'on' : 'off'))
  .default('auto');

export const launcherEnv = z.object({
  /** auto: embedded PGlite when DATABASE_URL is unset and nothing answers on 127.0.0.1:5432; true: always; false: never. */
  EMBEDDED_DB: mode,
  /** First of four consecutive ports of the embedded databases (auth, doctor, notification, pharmacy); 0 = any free ports. */
  EMBEDDED_DB_PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65531).default(54320),
  /** auto: a private redis-server when REDIS_URL is unset and nothing answers on 127.0.0.1:6379; true: always; false: never. */
  EMBEDDED_REDIS: mode,
  /** Embedded database files, the private Redis's directory and runtime.json (git-ignored). */
  DATA_DIR: z.string().min(1).default('.data'),
});

export type LauncherConfig = z.infer<typeof launcherEnv>;
