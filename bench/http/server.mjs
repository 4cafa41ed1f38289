/* global process */
// One benchmark server, run as a child process by run.mjs (IPC channel): builds the subject's app,
// listens on 127.0.0.1 port 0, reports the port, and measures its own CPU time between the
// parent's `start` and `stop` messages (bench/lib/measured-server.mjs).
import { serveMeasured } from '../lib/measured-server.mjs';
import { SUBJECTS, scenarioNamed } from './subjects.mjs';

process.once('message', async ({ subject, scenario, keys }) => {
  serveMeasured(await SUBJECTS[subject].build(keys, scenarioNamed(scenario)));
});
