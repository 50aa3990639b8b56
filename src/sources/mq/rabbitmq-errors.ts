/**
 * Why reading a RabbitMQ queue failed, worded for the mapping's LastProcessingResult, and the
 * StateTransitionReason code Lambda gives the errors a user must fix (reference/aws-esm-facts.md §6.4).
 */
import { BrokerConfigError } from "../broker-config-error.js";
import type { BrokerAccess } from "./broker-access.js";

type Known = { code: string | undefined; say: (access: BrokerAccess) => string };

function classify(err: unknown): Known {
  if (err instanceof BrokerConfigError) return { code: err.code, say: () => err.message };
  const message = err instanceof Error ? err.message : String(err);
  // amqplib's handshake and channel errors carry the broker's reply code and text in their message.
  if (/\b403 \(ACCESS-REFUSED\)/.test(message) && /Handshake/.test(message))
    return {
      code: "EVENT_SOURCE_AUTHN_ERROR",
      say: ({ username }) =>
        `The broker refused the credentials of user "${username}": ${replyText(message)}`,
    };
  if (/got <ConnectionClose/.test(message))
    // RabbitMQ closes the connection on a virtual host that is missing or that the user may not use; amqplib
    // keeps the broker's text to itself, so both are named.
    return {
      code: "ESM_CONFIG_NOT_VALID",
      say: ({ virtualHost, username }) =>
        `The broker refused virtual host "${virtualHost}": it does not exist, or user "${username}" has no access to it.`,
    };
  if (/\b404 \(NOT-FOUND\)/.test(message))
    return {
      code: "ESM_CONFIG_NOT_VALID",
      say: ({ queue, virtualHost }) => `Queue "${queue}" does not exist in virtual host "${virtualHost}".`,
    };
  if (/\b403 \(ACCESS-REFUSED\)/.test(message))
    return {
      code: "EVENT_SOURCE_AUTHZ_ERROR",
      say: ({ queue, username }) =>
        `User "${username}" may not consume queue "${queue}": ${replyText(message)}`,
    };
  return {
    code: undefined,
    say: ({ endpoints }) =>
      `Connection error. Could not read from the broker at ${endpoints.map(withoutCredentials).join(", ")}: ${message}`,
  };
}

export function describeRabbitMqError(err: unknown, access: BrokerAccess): string {
  return classify(err).say(access);
}

export function rabbitMqErrorCode(err: unknown): string | undefined {
  return classify(err).code;
}

/** The broker's own words: `... with message "TEXT"`. */
function replyText(message: string): string {
  return /with message "(.*)"/.exec(message)?.[1] ?? message;
}

/** Endpoints as the user wrote them, minus any credentials in them. */
export function withoutCredentials(endpoint: URL): string {
  const shown = new URL(endpoint);
  shown.username = "";
  shown.password = "";
  return shown.toString().replace(/\/$/, "");
}
