/**
 * The shared deadline of lib/fetch-json.ts (`signal`), against a real HTTP server on 127.0.0.1:
 * an aborted deadline fails the fetch as a `timeout` without connecting, and one that fires
 * mid-exchange ends it before its own `timeoutMs`.
 */
import { fetchJSON, FetchJSONError } from '../../src/lib/fetch-json';
import { stall, startIdP, type FakeIdP } from '../helpers/idp';

let idp: FakeIdP;

beforeEach(async () => {
  idp = await startIdP();
  idp.on('/stall', stall);
});
afterEach(() => idp.close());

async function failure(promise: Promise<unknown>): Promise<FetchJSONError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(FetchJSONError);
  return error as FetchJSONError;
}

it('does not connect once the shared deadline has passed', async () => {
  const controller = new AbortController();
  controller.abort();
  const error = await failure(
    fetchJSON(new URL(`${idp.url}/stall`), {
      timeoutMs: 1000,
      maxBytes: 1024,
      signal: controller.signal,
    }),
  );
  expect(error.reason).toBe('timeout');
  expect(error.message).toBe(
    `${idp.url}/stall was not fetched: the 1000 ms of remoteKeys.timeout went to the earlier fetches (metadata)`,
  );
  expect(idp.total()).toBe(0);
});

it('ends a stalled exchange when the shared deadline fires, before its own timeoutMs', async () => {
  const started = performance.now();
  const error = await failure(
    fetchJSON(new URL(`${idp.url}/stall`), {
      timeoutMs: 5000,
      maxBytes: 1024,
      signal: AbortSignal.timeout(150),
    }),
  );
  expect(error.reason).toBe('timeout');
  expect(performance.now() - started).toBeLessThan(2000);
  expect(idp.hits('/stall')).toBe(1);
});
