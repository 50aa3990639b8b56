/**
 * Why reading an ActiveMQ queue failed, worded for the mapping's LastProcessingResult, and the
 * StateTransitionReason code Lambda gives the errors a user must fix (reference/aws-esm-facts.md §6.4).
 */
import { BrokerConfigError } from "../broker-config-error.js";
import type { BrokerAccess } from "./broker-access.js";
import { withoutCredentials } from "./rabbitmq-errors.js";

export function describeActiveMqError(err: unknown, access: BrokerAccess): string {
  if (err instanceof BrokerConfigError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof StompError) {
    if (isAuthentication(err))
      return `The broker refused the credentials of user "${access.username}": ${message}`;
    if (isAuthorization(err))
      return `User "${access.username}" may not consume queue "${access.queue}": ${message}`;
    return `The broker answered with an error: ${message}`;
  }
  return `Connection error. Could not read from the broker at ${access.endpoints.map(withoutCredentials).join(", ")}: ${message}`;
}

export function activeMqErrorCode(err: unknown): string | undefined {
  if (err instanceof BrokerConfigError) return err.code;
  if (err instanceof StompError && isAuthentication(err)) return "EVENT_SOURCE_AUTHN_ERROR";
  if (err instanceof StompError && isAuthorization(err)) return "EVENT_SOURCE_AUTHZ_ERROR";
  return undefined;
}

/** ActiveMQ's SimpleAuthenticationPlugin: "User name [x] or password is invalid." */
const isAuthentication = (err: StompError) =>
  /password is invalid|SecurityException.*authenticat/i.test(`${err.message} ${err.details}`);
/** Its authorization plugin: "User x is not authorized to read from: queue://q". */
const isAuthorization = (err: StompError) => /not authorized/i.test(`${err.message} ${err.details}`);

/** The broker's ERROR frame: its `message` header and body. */
export class StompError extends Error {
  override name = "StompError";

  constructor(
    message: string,
    readonly details: string,
  ) {
    super(message);
  }
}
