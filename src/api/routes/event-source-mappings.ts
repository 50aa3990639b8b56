/**
 * The Lambda 2015-03-31 event-source-mapping routes. The AWS CLI sends the collection path with a trailing
 * slash and the SDK without; the server ignores trailing slashes.
 */
import type { FastifyInstance } from "fastify";
import type { ListQuery, MappingService } from "../../mappings/service.js";
import { InvalidRequestContentException } from "../../runtime/errors.js";
import { isPlainObject, validateAgainstModel } from "../model.js";
import { createShape, listShape, updateShape } from "../shapes.js";

const COLLECTION = "/2015-03-31/event-source-mappings";

export function eventSourceMappingRoutes(app: FastifyInstance, service: MappingService): void {
  app.post(COLLECTION, async (request, reply) => {
    const body = validateAgainstModel(requestBody(request.body), createShape);
    return reply.code(202).send(await service.create(body));
  });

  app.get(COLLECTION, async (request) => {
    const query = request.query as Record<string, unknown>;
    const list = validateAgainstModel(
      {
        EventSourceArn: single(query.EventSourceArn),
        FunctionName: single(query.FunctionName),
        MaxItems: integer(single(query.MaxItems), "MaxItems"),
        Marker: single(query.Marker),
      },
      listShape,
    );
    return service.list(list as ListQuery);
  });

  app.get<{ Params: { uuid: string } }>(`${COLLECTION}/:uuid`, async (request) =>
    service.get(request.params.uuid),
  );

  app.put<{ Params: { uuid: string } }>(`${COLLECTION}/:uuid`, async (request, reply) => {
    const body = validateAgainstModel(requestBody(request.body), updateShape);
    return reply.code(202).send(await service.update(request.params.uuid, body));
  });

  app.delete<{ Params: { uuid: string } }>(`${COLLECTION}/:uuid`, async (request, reply) =>
    reply.code(202).send(await service.delete(request.params.uuid)),
  );
}

/** The parsed JSON body; an absent body is an empty request, anything but an object cannot be deserialised. */
export function requestBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (!isPlainObject(body))
    throw new InvalidRequestContentException(
      "Could not parse request body into json: the request body must be a JSON object",
    );
  return body;
}

/** A query parameter given once; repeated parameters keep the last value, as Lambda's query binding does. */
export function single(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.at(-1) as string | undefined;
  return typeof value === "string" ? value : undefined;
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,10}$/.test(value))
    throw new InvalidRequestContentException(
      `Could not parse request: ${name} must be an integer, got '${value}'`,
    );
  return Number(value);
}
