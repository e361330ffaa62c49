// npm run ops:rotate-keys [-- --prune]
// Rotates the access-token signing key in KEYS_DIR: active.pem becomes retired-<time>.pem (still
// published in the JWKS, so tokens it signed keep verifying until they expire) and a new
// active.pem is written. --prune also deletes retired keys older than ACCESS_TOKEN_TTL_SECONDS
// (no token they signed can still be valid). Restart the auth service to load the new key;
// the gateway and subgraphs fetch the JWKS again when they meet an unknown key id.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { authEnv, loadConfig } from '@hc/config';

export interface RotationResult {
  retired: string | null;
  active: string;
  pruned: string[];
}

const stamp = (d: Date) => d.toISOString().replace(/[:.]/g, '-');
/** retired-2026-11-24T12-00-00-000Z.pem → that instant; other names (hand-placed keys) → null. */
function retiredAt(file: string): Date | null {
  const m = /^retired-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.pem$/.exec(file);
  return m ? new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`) : null;
}

export function rotateKeys(options: { dir: string; now?: Date; pruneOlderThanSeconds?: number }): RotationResult {
  const now = options.now ?? new Date();
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const activePath = path.join(options.dir, 'active.pem');
  let retired: string | null = null;
  if (existsSync(activePath)) {
    retired = path.join(options.dir, `retired-${stamp(now)}.pem`);
    renameSync(activePath, retired);
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // Written under a temporary name and renamed: auth never reads a half-written key.
  const tmp = path.join(options.dir, `.active-${process.pid}.pem`);
  writeFileSync(tmp, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { mode: 0o600 });
  renameSync(tmp, activePath);

  const pruned: string[] = [];
  if (options.pruneOlderThanSeconds !== undefined) {
    for (const file of readdirSync(options.dir)) {
      const at = retiredAt(file);
      if (at && now.getTime() - at.getTime() > options.pruneOlderThanSeconds * 1000) {
        rmSync(path.join(options.dir, file));
        pruned.push(file);
      }
    }
  }
  return { retired, active: activePath, pruned };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--prune');
  if (unknown.length) {
    console.error(`✗ unknown argument ${unknown[0]}; usage: npm run ops:rotate-keys [-- --prune]`);
    process.exit(1);
  }
  const config = loadConfig(authEnv, process.env);
  if (config.JWT_PRIVATE_KEY || config.JWT_PRIVATE_KEY_FILE) {
    console.error(
      '✗ The signing key comes from JWT_PRIVATE_KEY / JWT_PRIVATE_KEY_FILE, not KEYS_DIR: rotate it where it is managed\n' +
        '  (put the old key in KEYS_DIR/retired-<time>.pem so its tokens keep verifying, then set the new one).',
    );
    process.exit(1);
  }
  const dir = path.resolve(config.KEYS_DIR);
  const result = rotateKeys({
    dir,
    pruneOlderThanSeconds: args.includes('--prune') ? config.ACCESS_TOKEN_TTL_SECONDS : undefined,
  });
  console.log(result.retired ? `Retired ${path.relative(process.cwd(), result.retired)}` : `No active key in ${dir} before`);
  console.log(`New signing key ${path.relative(process.cwd(), result.active)}`);
  for (const f of result.pruned) console.log(`Deleted ${f} (older than ${config.ACCESS_TOKEN_TTL_SECONDS} s)`);
  console.log('Restart the auth service (or `npm start`) to sign with the new key.');
}
