/**
 * Starts a Node request handler (an Express app) on 127.0.0.1, port 0, for the documentation
 * tests, and stops it with its open connections.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running server: its base URL and how to stop it. */
export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `handler` on `http://127.0.0.1:<random port>`.
 *
 * @example `const api = await listen(buildApp(config)); await request(api.url).get('/api/me')`
 */
export async function listen(handler: RequestListener): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
