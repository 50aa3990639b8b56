/**
 * SQS failures in Lambda's own wording (see aws/service-error.ts): a deleted queue, access denied
 * (AccessDenied, KMS.AccessDeniedException, ...) and throttling each read with SQS's code.
 */
import { describeServiceError } from "../../aws/service-error.js";

export function describeSqsError(operation: string, err: unknown): string {
  return describeServiceError("SQS", operation, err);
}
