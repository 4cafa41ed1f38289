/**
 * A real `redis-server` for tests: started on 127.0.0.1 on a free port (no persistence unless
 * `appendOnly`), waited for until it answers PING, and stopped by its pid. Debian's `redis-server` package
 * provides the binary (.ci/run installs it when missing).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running redis-server. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops it (SIGTERM to its pid, then waits until the port is closed). */
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`). */
  restart(): Promise<void>;
}

async function freePort(): Promise<number> {
  // Listening on port 0 and closing: `redis-server --port 0` would turn TCP off instead.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    // A plain timer, not socket.setTimeout: a server that is shutting down may leave the connect
    // pending (its accept queue full), and the socket's idle timeout does not cover connecting.
    const timer = setTimeout(() => done(false), 200);
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server: ${what} within 5 s`);
}

/**
 * Starts a redis-server for a test file; `appendOnly` keeps its data across `restart()`.
 *
 * @example
 * ```ts
 * let redis: RedisServer
 * beforeAll(async () => { redis = await startRedisServer() })
 * afterAll(() => redis.stop())
 * ```
 */
export async function startRedisServer(
  options: { readonly appendOnly?: boolean } = {},
): Promise<RedisServer> {
  const binary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find(existsSync);
  if (binary === undefined) {
    throw new Error(
      'redis-server not found: install the Debian package redis-server (.ci/run does)',
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-redis-'));
  const pidfile = join(dir, 'redis.pid');
  const start = async () => {
    execFileSync(binary, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      // appendOnly: every write on disk before it is acknowledged, so a restart keeps the
      // claims (as a production replay store should).
      '--appendonly',
      options.appendOnly === true ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--daemonize',
      'yes',
      '--pidfile',
      pidfile,
      '--dir',
      dir,
      '--logfile',
      join(dir, 'redis.log'),
      // Tests make the server slow on purpose with DEBUG SLEEP (from loopback only).
      '--enable-debug-command',
      'local',
    ]);
    await until(() => ping(port), 'no PONG');
  };
  const stop = async () => {
    if (!existsSync(pidfile)) return;
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    await until(async () => !(await ping(port)), 'still answering');
    rmSync(pidfile, { force: true });
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      await stop();
    },
    restart: start,
  };
}
