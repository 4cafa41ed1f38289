/* global process, performance */
// One benchmark server, run as a child process by run.mjs (IPC channel): builds the subject's app,
// listens on 127.0.0.1 port 0, reports the port, and measures its own CPU time between the
// parent's `start` and `stop` messages (process.cpuUsage: all threads, the thread pool included).
import { SUBJECTS, scenarioNamed } from './subjects.mjs';

process.once('message', async ({ subject, scenario, keys }) => {
  const app = await SUBJECTS[subject].build(keys, scenarioNamed(scenario));
  let requests = 0;
  const server = app.listen(0, '127.0.0.1', () => {
    process.send({ type: 'ready', port: server.address().port });
  });
  // Throughput is measured here, from the first to the last answered request after `start`:
  // autocannon's own clock ticks in whole seconds, too coarse for a 10,000-request run.
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
});
