/**
 * SQS failures in Lambda's own wording, as it reports a missing queue at create time: "Error occurred while
 * ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: ...". A deleted
 * queue, access denied (AccessDenied, KMS.AccessDeniedException, ...) and throttling all read the same way, each
 * with SQS's code; a call that never got an answer says the queue could not be reached.
 */
interface SdkError {
  name?: string;
  message?: string;
  /** SQS's query-protocol error code, which the SDK keeps beside the JSON protocol's shorter name. */
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

export function describeSqsError(operation: string, err: unknown): string {
  const { name, message, Code, $metadata } = (err ?? {}) as SdkError;
  const text = message ?? String(err);
  if ($metadata?.httpStatusCode === undefined)
    return `Connection error. Could not reach SQS for ${operation}: ${name ? `${name}: ` : ""}${text}`;
  return `Error occurred while ${operation}. SQS Error Code: ${Code ?? name ?? "Unknown"}. SQS Error Message: ${text}`;
}
