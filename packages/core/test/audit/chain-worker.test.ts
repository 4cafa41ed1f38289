/**
 * The file sink's chain worker: its lines are byte for byte the lines `chainLine` makes (the
 * format the trail verifier checks), including non-ASCII text and escaped newlines inside
 * values; a worker that dies fails the batch in flight, and the next batch gets a new worker
 * that continues the chain.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { ChainWorker } from '../../src/audit/file-sink/chain-worker';
import { chainLine } from '../../src/audit/file-sink/line-format';

const chainKey = createSecretKey(randomBytes(32));
const values: Record<string, unknown>[] = [
  { schema: 'tokenward.audit/1', event: 'authn_token_valid', status: 200 },
  { schema: 'tokenward.audit/1', route: '/api/ünïcödé/😀', reason: 'ok' },
  { schema: 'tokenward.audit/1', requestId: 'line\nbreak "quoted" \\ back', scopes: ['a', 'b'] },
];

/** The expected text from the in-process chainLine, starting at `mac` and `seq`. */
function inProcess(mac: string, seq: number) {
  let text = '';
  for (const value of values) {
    const next = chainLine(chainKey, mac, value, seq);
    text += `${next.line}\n`;
    mac = next.mac;
    seq += 1;
  }
  return { text, mac, seq };
}

const jsons = values.map((v) => JSON.stringify(v)).join('\n');

describe('ChainWorker', () => {
  const chainer = new ChainWorker(chainKey);
  afterAll(() => chainer.close());

  it('makes the same lines as chainLine, from the first line and from a head', async () => {
    for (const [mac, seq] of [
      ['', 0],
      ['x'.repeat(43), 41],
    ] as const) {
      const chained = await chainer.chain(mac, seq, jsons);
      const expected = inProcess(mac, seq);
      expect(Buffer.from(chained.bytes).toString('utf8')).toBe(expected.text);
      expect(chained.mac).toBe(expected.mac);
      expect(chained.seq).toBe(expected.seq);
    }
  });

  it('fails the batch in flight when the worker is stopped, and starts a new one after', async () => {
    const inFlight = chainer.chain('', 0, jsons);
    await chainer.close();
    await expect(inFlight).rejects.toThrow(/closed/);
    const again = await chainer.chain('', 0, jsons);
    expect(Buffer.from(again.bytes).toString('utf8')).toBe(inProcess('', 0).text);
  });

  it('answers concurrent batches each with its own result', async () => {
    const heads = ['', 'a'.repeat(43), 'b'.repeat(43)];
    const results = await Promise.all(heads.map((mac, i) => chainer.chain(mac, i * 10, jsons)));
    results.forEach((result, i) => expect(result.mac).toBe(inProcess(heads[i]!, i * 10).mac));
  });
});
