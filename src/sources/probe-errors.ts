import { InvalidParameterValueException } from "../runtime/errors.js";

/** How long creating a mapping waits for its source to answer whether it exists. */
export const PROBE_TIMEOUT_MS = 10_000;

/** Options for a probe's SDK call: it gives up after PROBE_TIMEOUT_MS. */
export const probeCallOptions = () => ({ abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });

/** The source could not be asked whether it exists: say which service, and how Sluice is told where it is. */
export function unreachableSource(
  arn: string,
  serviceEnvSuffix: string,
  err: unknown,
): InvalidParameterValueException {
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new InvalidParameterValueException(
    `Could not check event source ${arn}: ${reason}. Sluice reaches it through the AWS SDK's configuration (AWS_ENDPOINT_URL_${serviceEnvSuffix} or AWS_ENDPOINT_URL, AWS_REGION, credentials).`,
    { cause: err },
  );
}

/** The stream named by a Kinesis or DynamoDB mapping does not exist: Lambda's wording. */
export function streamNotFound(arn: string, err: unknown): InvalidParameterValueException {
  return new InvalidParameterValueException(`Stream not found: ${arn}`, { cause: err });
}
