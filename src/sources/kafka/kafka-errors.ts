/**
 * A Kafka error as the mapping reports it: AWS's LastProcessingResult wording for authentication and
 * authorization failures (reference/aws-esm-facts.md §5.3) with the StateTransitionReason code they stand for;
 * anything else with the client's own message.
 */
import { BrokerConfigError } from "../broker-config-error.js";

export interface KafkaProblem {
  reason: string;
  code?: string;
}

/** TLS errors of a server certificate the client cannot trust (Node's codes). */
const SERVER_NOT_TRUSTED = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

const AUTHORIZATION_FAILED = new Set([
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
]);

export function kafkaProblem(err: unknown): KafkaProblem {
  const chain = causes(err);
  const found = (test: (e: ErrorLike) => boolean) => chain.find(test);
  const config = found((e) => e instanceof BrokerConfigError);
  if (config) return { reason: config.message ?? "", code: "ESM_CONFIG_NOT_VALID" };
  if (found((e) => e.name === "KafkaJSSASLAuthenticationError" || e.type === "SASL_AUTHENTICATION_FAILED"))
    return { reason: "SASL authentication failed", code: "EVENT_SOURCE_AUTHN_ERROR" };
  if (found((e) => AUTHORIZATION_FAILED.has(e.type ?? "")))
    return { reason: "Cluster failed to authorize Lambda", code: "EVENT_SOURCE_AUTHZ_ERROR" };
  if (found((e) => SERVER_NOT_TRUSTED.has(e.code ?? "")))
    return { reason: "Lambda failed to authenticate server", code: "EVENT_SOURCE_AUTHN_ERROR" };
  if (found((e) => /certificate (required|unknown)|bad certificate/i.test(e.message ?? "")))
    return { reason: "Server failed to authenticate Lambda", code: "EVENT_SOURCE_AUTHN_ERROR" };
  // Node's code, or only its text once the client has wrapped it ("Failed to connect: error:...:DECODER routines").
  if (
    found((e) =>
      /^ERR_OSSL|PEM|DECODER routines|private key|key values mismatch|bad decrypt/i.test(
        `${e.code ?? ""} ${e.message ?? ""}`,
      ),
    )
  )
    return { reason: "Provided certificate or private key is invalid", code: "EVENT_SOURCE_AUTHN_ERROR" };
  // The innermost error says what happened; the wrappers around it only add that retries ran out.
  const root = chain.at(-1);
  return { reason: `Kafka error: ${root?.message ?? String(err)}` };
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  type?: string;
  cause?: unknown;
  originalError?: unknown;
}

/** The error and what it wraps: KafkaJS nests the real failure under `cause` or `originalError`. */
function causes(err: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = err;
  while (current && typeof current === "object" && chain.length < 10) {
    const e = current as ErrorLike;
    chain.push(e);
    current = e.cause ?? e.originalError;
  }
  return chain;
}
