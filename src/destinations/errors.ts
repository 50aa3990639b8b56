import { serviceErrorParts } from "../aws/service-error.js";

/** A failure record could not be delivered. The message names the destination and the reason. */
export class DestinationError extends Error {
  constructor(
    /** The destination's ARN, as configured on the mapping. */
    readonly destination: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Could not deliver the on-failure record to ${destination}: ${reason}`, options);
    this.name = "DestinationError";
  }
}

/**
 * Runs one SDK call of a delivery and turns its failure into a DestinationError that carries the service's error
 * code and message, or says the service could not be reached. A cancelled call is rethrown as is.
 */
export async function deliveryCall<T>(
  destination: string,
  what: string,
  signal: AbortSignal | undefined,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (signal?.aborted) throw err;
    const { answered, code, message } = serviceErrorParts(err);
    const reason = answered
      ? `${what} failed: ${code}: ${message}`
      : `could not reach ${what}: ${code}: ${message}`;
    throw new DestinationError(destination, reason, { cause: err });
  }
}
