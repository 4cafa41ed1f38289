/* global process, console, Buffer */
// CPU per call and wall time of node:crypto's synchronous `crypto.verify` against its callback
// form (one libuv thread-pool job per call), per JWS algorithm family, with 10 calls in flight
// (like 10 HTTP connections). Decides which form jws-signature.ts uses for each family.
//
//   node bench/micro/sync-vs-async.mjs [--calls N]
import { generateKeyPairSync, sign, verify } from 'node:crypto';

const args = process.argv.slice(2);
const calls = Number(args[args.indexOf('--calls') + 1] || 4000);
const data = Buffer.alloc(600, 'a');
const families = [
  ['RS256', 'sha256', generateKeyPairSync('rsa', { modulusLength: 2048 }), {}],
  [
    'ES256',
    'sha256',
    generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    { dsaEncoding: 'ieee-p1363' },
  ],
  [
    'ES384',
    'sha384',
    generateKeyPairSync('ec', { namedCurve: 'P-384' }),
    { dsaEncoding: 'ieee-p1363' },
  ],
  [
    'ES512',
    'sha512',
    generateKeyPairSync('ec', { namedCurve: 'P-521' }),
    { dsaEncoding: 'ieee-p1363' },
  ],
  ['EdDSA', null, generateKeyPairSync('ed25519'), {}],
];

function measure(run) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  return run().then(() => {
    const cpu = process.cpuUsage(cpu0);
    const wall = Number(process.hrtime.bigint() - t0) / 1000;
    return { cpu: (cpu.user + cpu.system) / calls, wall: wall / calls };
  });
}

for (const [alg, digest, { privateKey, publicKey }, options] of families) {
  const key = { key: publicKey, ...options };
  const signature = sign(digest, data, { key: privateKey, ...options });
  const syncRun = async () => {
    for (let i = 0; i < calls; i++) if (!verify(digest, data, key, signature)) throw new Error();
  };
  const asyncRun = async () => {
    let next = 0;
    const worker = async () => {
      while (next++ < calls) {
        const ok = await new Promise((res, rej) =>
          verify(digest, data, key, signature, (e, r) => (e ? rej(e) : res(r))),
        );
        if (!ok) throw new Error();
      }
    };
    await Promise.all(Array.from({ length: 10 }, worker));
  };
  await measure(syncRun); // warm-up
  await measure(asyncRun);
  const rows = [];
  for (let r = 0; r < 3; r++) rows.push([await measure(syncRun), await measure(asyncRun)]);
  const med = (xs) => xs.sort((a, b) => a - b)[1];
  const s = { cpu: med(rows.map((x) => x[0].cpu)), wall: med(rows.map((x) => x[0].wall)) };
  const a = { cpu: med(rows.map((x) => x[1].cpu)), wall: med(rows.map((x) => x[1].wall)) };
  console.log(
    `${alg}: sync ${s.cpu.toFixed(1)} µs CPU, ${s.wall.toFixed(1)} µs wall per call · callback ${a.cpu.toFixed(1)} µs CPU, ${a.wall.toFixed(1)} µs wall per call (10 in flight)`,
  );
}
