/**
 * A DocumentDB error as the mapping reports it: authentication and authorization failures with the
 * StateTransitionReason codes Lambda uses for broker sources, a configuration the config file lacks, a change
 * stream whose resume point has expired (the mapping is then disabled, as AWS disables it), or the server's
 * own message.
 */
import { MongoServerError } from "mongodb";
import { BrokerConfigError } from "../broker-config-error.js";

export interface DocumentdbProblem {
  reason: string;
  code?: string;
  /** The change stream no longer holds the events after the resume point: reading cannot go on. */
  expired?: boolean;
}

/**
 * How a change stream reports that the oplog or change stream log has rolled past its resume point: MongoDB
 * 4.2+'s ChangeStreamHistoryLost (286) and ChangeStreamFatalError (280), MongoDB 4.0's 40576 ("resume point may
 * no longer be in the oplog") and 40585 ("resume token was not found"), and CappedPositionLost (136).
 */
const EXPIRED_CODES = new Set([136, 280, 286, 40576, 40585]);
const AUTHENTICATION_FAILED = 18;
const UNAUTHORIZED = 13;

export function documentdbProblem(err: unknown): DocumentdbProblem {
  if (err instanceof BrokerConfigError) return { reason: err.message, code: err.code };
  const server = serverError(err);
  if (server && EXPIRED_CODES.has(Number(server.code)))
    return {
      reason:
        "The change stream's events after the last processed one have expired from the cluster's change " +
        `stream log (${server.message}). Create a new event source mapping with the starting position of ` +
        "your choice.",
      expired: true,
    };
  if (server?.code === AUTHENTICATION_FAILED)
    return { reason: "DocumentDB authentication failed", code: "EVENT_SOURCE_AUTHN_ERROR" };
  if (server?.code === UNAUTHORIZED)
    return {
      reason: `DocumentDB did not authorize Lambda: ${server.message}`,
      code: "EVENT_SOURCE_AUTHZ_ERROR",
    };
  return { reason: `DocumentDB error: ${(err as Error)?.message ?? String(err)}` };
}

/** The server's answer behind the driver's error: a connection's handshake wraps its auth failure in `cause`. */
function serverError(err: unknown): MongoServerError | undefined {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof MongoServerError) return e;
  return undefined;
}
