/** What an AWS SDK error says, and Lambda's wording of it where a mapping reports a source's failure. */
interface SdkError {
  name?: string;
  message?: string;
  /** The query-protocol or REST-XML code the SDK keeps beside the error's name (SQS's "AWS.SimpleQueueService.NonExistentQueue", S3's "NoSuchBucket"). */
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

export interface ServiceErrorParts {
  /** False when the call got no HTTP answer at all: the service could not be reached. */
  answered: boolean;
  /** The service's error code, or the error's name. */
  code: string;
  message: string;
}

export function serviceErrorParts(err: unknown): ServiceErrorParts {
  const { name, message, Code, $metadata } = (err ?? {}) as SdkError;
  return {
    answered: $metadata?.httpStatusCode !== undefined,
    code: Code ?? name ?? "Unknown",
    message: message ?? String(err),
  };
}

/**
 * Lambda's wording of a source's failure, as it reports a missing queue: "Error occurred while ReceiveMessage.
 * SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not
 * exist." A call that got no answer says the service could not be reached.
 */
export function describeServiceError(service: string, operation: string, err: unknown): string {
  const { answered, code, message } = serviceErrorParts(err);
  if (!answered) return `Connection error. Could not reach ${service} for ${operation}: ${code}: ${message}`;
  return `Error occurred while ${operation}. ${service} Error Code: ${code}. ${service} Error Message: ${message}`;
}
