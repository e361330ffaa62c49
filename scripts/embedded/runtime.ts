// What a running `npm start` chose (embedded database ports, private Redis URL), written to
// `<data dir>/runtime.json` so operator commands and a second `npm start` can find it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export interface RuntimeState {
  pid: number;
  startedAt: string;
  /** Per service database URL, embedded databases only. */
  databases: Record<string, string>;
  /** Set when start-up launched a private redis-server. */
  redisUrl?: string;
}

export const runtimeFile = (dataDir: string) => path.join(dataDir, 'runtime.json');

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** The state of a live `npm start` using this data dir, or null (a stale file from a killed run is ignored). */
export function readRuntime(dataDir: string): RuntimeState | null {
  const file = runtimeFile(dataDir);
  if (!existsSync(file)) return null;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as RuntimeState;
    return isAlive(state.pid) ? state : null;
  } catch {
    return null;
  }
}

export function writeRuntime(dataDir: string, state: RuntimeState): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(runtimeFile(dataDir), `${JSON.stringify(state, null, 2)}\n`);
}

export function clearRuntime(dataDir: string): void {
  rmSync(runtimeFile(dataDir), { force: true });
}

/** A TCP port nobody listens on right now (the OS picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
