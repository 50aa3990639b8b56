/**
 * Lambda's JSON error shape: the type in `x-amzn-ErrorType` (and `__type`, which other AWS JSON services use),
 * the text under `message` or `Message` as Lambda spells it for that type, and `Type: "User"` on the errors a
 * caller causes (`"Service"` on Sluice's own). The SDKs and the AWS CLI read the type from the header, so they
 * raise the right exception.
 */
import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import {
  InvalidRequestContentException,
  RequestTooLargeException,
  ServiceException,
  SluiceError,
  UnknownOperationException,
} from "../runtime/errors.js";

export function errorBody(error: SluiceError): Record<string, string> {
  return {
    ...(error.type ? { Type: error.type } : {}),
    [error.messageKey]: error.message,
    __type: error.code,
  };
}

/** The same error written straight to a socket, for requests too malformed to reach the router. */
export function rawErrorResponse(error: SluiceError): string {
  const body = JSON.stringify(errorBody(error));
  return [
    `HTTP/1.1 ${error.statusCode} ${STATUS_CODES[error.statusCode] ?? ""}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    `x-amzn-ErrorType: ${error.code}`,
    "connection: close",
    "",
    body,
  ].join("\r\n");
}

export function sendError(reply: FastifyReply, error: SluiceError): FastifyReply {
  return reply
    .code(error.statusCode)
    .header("x-amzn-ErrorType", error.code)
    .header("content-type", "application/json")
    .send(errorBody(error));
}

/** Turns anything a route or Fastify throws into an AWS-shaped error; only Sluice's own faults are 5xx. */
export function toApiError(err: unknown, request: FastifyRequest): SluiceError {
  if (err instanceof SluiceError) return err;
  const fastifyError = err as Partial<FastifyError>;
  if (fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE")
    return new RequestTooLargeException(
      `Request must be smaller than ${request.routeOptions.bodyLimit ?? 0} bytes for the ${operationName(request)} operation`,
    );
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode < 500)
    return new InvalidRequestContentException(
      `Could not parse request: ${fastifyError.message ?? "bad request"}`,
    );
  return new ServiceException("An internal error occurred in Sluice; see its log for details.", {
    cause: err,
  });
}

export function unknownOperation(request: FastifyRequest): SluiceError {
  return new UnknownOperationException(`No operation matches ${request.method} ${request.url.split("?")[0]}`);
}

const OPERATIONS: Record<string, string> = {
  POST: "CreateEventSourceMapping",
  PUT: "UpdateEventSourceMapping",
};

function operationName(request: FastifyRequest): string {
  if (request.url.startsWith("/2017-03-31/tags")) return "TagResource";
  return OPERATIONS[request.method] ?? "request";
}
