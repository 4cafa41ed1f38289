/* global process, performance */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
// The measuring side of a benchmark server run as a child process (IPC channel): reports its
// port, and between the parent's `start` and `stop` messages counts the answered requests and
// its own CPU time (process.cpuUsage: all threads, the thread pool included). Throughput is
// measured here, from the first to the last answered request after `start`: autocannon's own
// clock ticks in whole seconds, too coarse for a 10,000-request run.

/**
 * Listens with `app` on 127.0.0.1 port 0 and answers the parent's `start`, `stop` and `exit`.
 *
 * @param app An Express application (anything with `listen`).
 */
export function serveMeasured(app) {
  let requests = 0;
  const server = app.listen(0, '127.0.0.1', () => {
    process.send({ type: 'ready', port: server.address().port });
  });
  let first = 0;
  let last = 0;
  server.on('request', (_req, res) => {
    if (requests++ === 0) first = performance.now();
    res.once('finish', () => {
      last = performance.now();
    });
  });
  let started;
  let threadsAtStart;
  process.on('message', (message) => {
    if (message.type === 'start') {
      requests = 0;
      threadsAtStart = threadTimes();
      started = process.cpuUsage();
      process.send({ type: 'started' });
    } else if (message.type === 'stop') {
      const cpu = process.cpuUsage(started);
      process.send({
        type: 'stopped',
        cpuMicros: cpu.user + cpu.system,
        threads: threadDeltas(threadsAtStart, threadTimes()),
        requests,
        seconds: (last - first) / 1000,
      });
    } else if (message.type === 'exit') {
      server.close();
      process.exit(0);
    }
  });
  return server;
}

/**
 * CPU time of each thread of this process by thread name, in microseconds (Linux: utime + stime
 * of /proc/self/task/<tid>/stat in clock ticks of 10 ms); an empty object elsewhere. Tells the
 * request thread (`node`, the first task) from workers, the thread pool and the garbage collector.
 */
function threadTimes() {
  const times = new Map();
  let tasks;
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return times;
  }
  for (const tid of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name =
        tid === String(process.pid)
          ? 'main'
          : readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      times.set(tid, { name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return times;
}

function threadDeltas(before, after) {
  const byName = {};
  for (const [tid, { name, ticks }] of after) {
    const delta = ticks - (before.get(tid)?.ticks ?? 0);
    byName[name] = (byName[name] ?? 0) + delta * 10_000;
  }
  return byName;
}

/**
 * The parent's side: forks `script` (a module that calls {@link serveMeasured}), sends it
 * `setup` (what it builds its app from), and resolves once it listens, with its port and its
 * `start`, `stop` (each resolving with the child's answer) and `close`. A child that exits with
 * a code rejects, naming `label`.
 *
 * @param options.execArgv Node options of the child (a profiler, say).
 * @param options.onSpawn Called with the child right after the fork (to pin it to a CPU).
 */
export function forkMeasuredServer(script, setup, { label, execArgv = [], onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    onSpawn?.(child);
    const call = (type, expect) =>
      new Promise((res) => {
        const on = (m) => {
          if (m.type === expect) {
            child.off('message', on);
            res(m);
          }
        };
        child.on('message', on);
        child.send({ type });
      });
    child.once('message', (m) => {
      if (m.type !== 'ready') return reject(new Error(`server said ${m.type}`));
      resolve({
        port: m.port,
        start: () => call('start', 'started'),
        stop: () => call('stop', 'stopped'),
        close: () =>
          new Promise((res) => {
            if (child.exitCode !== null) return res();
            child.once('exit', res);
            child.send({ type: 'exit' });
          }),
      });
    });
    child.once('error', reject);
    child.once('exit', (code) => code && reject(new Error(`${label} exited with ${code}`)));
    child.send(setup);
  });
}
