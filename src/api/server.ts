/**
 * The HTTP control plane: Lambda's REST routes for event source mappings and tags, speaking AWS's wire format
 * so the AWS CLI, SDKs and Terraform work unchanged with `--endpoint-url`. Bodies are parsed here (not by
 * Fastify's JSON parser) so that a body that is not JSON, or is too large, gets Lambda's error shape.
 */
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { MappingService } from "../mappings/service.js";
import { InvalidRequestContentException, RequestTooLargeException } from "../runtime/errors.js";
import type { Metrics } from "../runtime/metrics.js";
import type { Store } from "../store/store.js";
import { rawErrorResponse, sendError, toApiError, unknownOperation } from "./error-response.js";
import { eventSourceMappingRoutes } from "./routes/event-source-mappings.js";
import { tagRoutes } from "./routes/tags.js";

/** Lambda refuses control-plane requests over 1 MB. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** A `\\uD800`-`\\uDFFF` escape: the only way a lone surrogate gets into parsed JSON text. */
const LONE_SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;

function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === "string")
    return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (typeof value === "object" && value !== null)
    return Object.entries(value).some(([k, v]) => hasLoneSurrogate(k) || hasLoneSurrogate(v));
  return false;
}

export interface ApiOptions {
  service: MappingService;
  store: Store;
  metrics: Metrics;
  logger: FastifyBaseLogger;
}

export function buildApi({ service, store, metrics, logger }: ApiOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_REQUEST_BYTES,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    genReqId: () => randomUUID(),
    // Requests the router cannot take (a malformed %-escape, an over-long path segment) still get AWS's shape.
    frameworkErrors: (err, request, reply) => sendError(reply, toApiError(err, request)),
    // So do requests Node's HTTP parser refuses (unknown method, oversized headers), answered on the socket.
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return socket.destroy();
      const code = (err as NodeJS.ErrnoException).code ?? "";
      socket.end(
        rawErrorResponse(
          code === "HPE_HEADER_OVERFLOW"
            ? new RequestTooLargeException("Request headers are too large")
            : new InvalidRequestContentException(`Malformed HTTP request (${code || err.message})`),
        ),
      );
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => {
    const text = (body as string).trim();
    if (text === "") return done(null, undefined);
    try {
      const parsed: unknown = JSON.parse(text);
      if (LONE_SURROGATE_ESCAPE.test(text) && hasLoneSurrogate(parsed))
        throw new Error("a string holds an unpaired UTF-16 surrogate, which UTF-8 cannot carry");
      done(null, parsed);
    } catch (err) {
      done(
        new InvalidRequestContentException(
          `Could not parse request body into json: ${err instanceof Error ? err.message : String(err)}`,
        ),
        undefined,
      );
    }
  });

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-amzn-RequestId", request.id);
  });

  app.setErrorHandler((err, request, reply) => {
    const error = toApiError(err, request);
    if (error.statusCode >= 500) request.log.error({ err }, "request failed");
    else if (error.cause instanceof Error) request.log.info({ reason: error.cause.message }, error.message);
    return sendError(reply, error);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, unknownOperation(request)));

  app.get("/healthz", async (_request, reply) => {
    try {
      await store.ping();
      return { status: "ok" };
    } catch (err) {
      return reply
        .code(503)
        .send({ status: "unavailable", reason: err instanceof Error ? err.message : String(err) });
    }
  });

  app.get("/metrics", async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));

  eventSourceMappingRoutes(app, service);
  tagRoutes(app, service);
  return app;
}
