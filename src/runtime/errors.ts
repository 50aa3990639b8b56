/**
 * One error hierarchy for everything a user can cause or Sluice can hit. Each class is one AWS error shape;
 * the API serialises it exactly as Lambda does (see api/error-response.ts). Match with `instanceof` or `code`,
 * never with message text.
 */

export type Fault = "customer" | "internal";

/** How Lambda spells the message field for this error on the wire. */
export type MessageKey = "message" | "Message";

export interface SluiceErrorOptions {
  cause?: unknown;
  retryable?: boolean;
}

export abstract class SluiceError extends Error {
  /** The AWS error type, sent as `x-amzn-ErrorType` and `__type`. */
  abstract readonly code: string;
  abstract readonly statusCode: number;
  readonly fault: Fault = "customer";
  /** Lambda's `Type` body field: whose fault the error is; ValidationException carries none. */
  readonly type: "User" | "Service" | undefined = "User";
  readonly messageKey: MessageKey = "message";
  readonly retryable: boolean;

  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
  }
}

export class InvalidParameterValueException extends SluiceError {
  readonly code = "InvalidParameterValueException";
  readonly statusCode = 400;
}

/** Constraint violations of the API model, reported before any handler logic runs. */
export class ValidationException extends SluiceError {
  readonly code = "ValidationException";
  readonly statusCode = 400;
  override readonly type = undefined;
}

export class ResourceNotFoundException extends SluiceError {
  readonly code = "ResourceNotFoundException";
  readonly statusCode = 404;
  override readonly messageKey = "Message";
}

export class ResourceConflictException extends SluiceError {
  readonly code = "ResourceConflictException";
  readonly statusCode = 409;
}

/** The mapping is in a transitional state (Creating, Updating, ...) and cannot be changed now. */
export class ResourceInUseException extends SluiceError {
  readonly code = "ResourceInUseException";
  readonly statusCode = 400;
  override readonly messageKey = "Message";
}

/** The request body is not JSON, or a member has the wrong JSON type. */
export class InvalidRequestContentException extends SluiceError {
  readonly code = "InvalidRequestContentException";
  readonly statusCode = 400;
}

export class RequestTooLargeException extends SluiceError {
  readonly code = "RequestTooLargeException";
  readonly statusCode = 413;
}

export class UnknownOperationException extends SluiceError {
  readonly code = "UnknownOperationException";
  readonly statusCode = 404;
}

export class TooManyRequestsException extends SluiceError {
  readonly code = "TooManyRequestsException";
  readonly statusCode = 429;
  override readonly retryable = true;
}

export class ServiceException extends SluiceError {
  readonly code = "ServiceException";
  readonly statusCode = 500;
  override readonly fault = "internal";
  override readonly type = "Service";
  override readonly retryable = true;
}
