/* global process, performance */
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
  process.on('message', (message) => {
    if (message.type === 'start') {
      requests = 0;
      started = process.cpuUsage();
      process.send({ type: 'started' });
    } else if (message.type === 'stop') {
      const cpu = process.cpuUsage(started);
      process.send({
        type: 'stopped',
        cpuMicros: cpu.user + cpu.system,
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
