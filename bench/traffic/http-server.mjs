/* global process */
// One server of the rate-limiting HTTP benchmark, run as a child process by http.mjs (IPC):
// builds the subject's app (http-subjects.mjs) with the given quota and Redis, listens on
// 127.0.0.1 port 0 and measures its own CPU time between `start` and `stop`
// (bench/lib/measured-server.mjs).
import { serveMeasured } from '../lib/measured-server.mjs';
import { SUBJECTS } from './http-subjects.mjs';

process.once('message', async ({ subject, keys, points, redisUrl }) => {
  serveMeasured(await SUBJECTS[subject].build(keys, { points, redisUrl }));
});
