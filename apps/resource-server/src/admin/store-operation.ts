/**
 * How the admin API answers a store operation that failed: a bad argument (the store's
 * `TypeError`) is the caller's 400, anything else a 503 (the store cannot answer; retry later),
 * never a 500.
 */
import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';

/**
 * Runs `operation`, turning its failures into the admin API's answers.
 *
 * @param unavailable The 503's message (`the revocation list cannot be written right now; …`).
 */
export async function runStoreOperation<T>(
  operation: () => Promise<T>,
  unavailable: string,
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof TypeError) throw new BadRequestException(error.message);
    throw new ServiceUnavailableException(unavailable);
  }
}
