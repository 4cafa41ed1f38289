/* global process, setTimeout, clearTimeout */
// A redis-server for the benchmarks: a free loopback port, no persistence, started daemonised and
// stopped by its pid (the test suite's twin is test/helpers/redis-server.ts, in TypeScript).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/**
 * Starts redis-server on 127.0.0.1.
 *
 * @returns `{ port, url, pid, dir, stop() }`; `stop()` sends SIGTERM, waits for the process to end
 *   and removes its directory.
 */
export async function startRedisServer() {
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-bench-redis-'));
  const pidfile = join(dir, 'redis.pid');
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  args.push(
    '--daemonize',
    'yes',
    '--pidfile',
    pidfile,
    '--dir',
    dir,
    '--logfile',
    join(dir, 'redis.log'),
  );
  const spawned = spawnSync('/usr/bin/redis-server', args);
  if (spawned.status !== 0) throw new Error(`redis-server: ${spawned.stderr}`);
  for (let i = 0; i < 100 && !existsSync(pidfile); i++) await sleep(50);
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  // Answering PING, not just forked.
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
      const timer = setTimeout(() => (socket.destroy(), resolve(false)), 200);
      socket.once(
        'data',
        (d) => (clearTimeout(timer), socket.destroy(), resolve(String(d).startsWith('+PONG'))),
      );
      socket.once('error', () => (clearTimeout(timer), resolve(false)));
    });
    if (ok) break;
    await sleep(50);
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid,
    dir,
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await sleep(50);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
