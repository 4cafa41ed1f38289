/** What the traffic tests compare: how a verification ended. */
import { TokenwardError } from '@tokenward/core';

/** Resolves to `'accepted'` or `'<status> <code>'`; anything but a TokenwardError fails. */
export const outcome = (pending: Promise<unknown>): Promise<string> =>
  pending.then(
    () => 'accepted',
    (e: unknown) => (e instanceof TokenwardError ? `${e.status} ${e.code}` : Promise.reject(e)),
  );
