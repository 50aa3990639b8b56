/** The Lambda 2017-03-31 tagging routes, for event source mappings addressed by ARN. */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { MappingService } from "../../mappings/service.js";
import type { Tags } from "../../store/store.js";
import { validateAgainstModel } from "../model.js";
import { resourceArnShape, tagResourceShape, untagResourceShape } from "../shapes.js";
import { requestBody } from "./event-source-mappings.js";

const TAGS = "/2017-03-31/tags/*";

export function tagRoutes(app: FastifyInstance, service: MappingService): void {
  app.get(TAGS, async (request) => ({ Tags: await service.listTags(resourceArn(request)) }));

  app.post(TAGS, async (request, reply) => {
    const arn = resourceArn(request);
    const body = validateAgainstModel(requestBody(request.body), tagResourceShape);
    await service.tag(arn, body.Tags as Tags);
    return reply.code(204).send();
  });

  app.delete(TAGS, async (request, reply) => {
    const arn = resourceArn(request);
    const raw = (request.query as Record<string, unknown>).tagKeys;
    const tagKeys = raw === undefined ? undefined : Array.isArray(raw) ? raw : [raw];
    const { TagKeys } = validateAgainstModel({ TagKeys: tagKeys }, untagResourceShape);
    await service.untag(arn, TagKeys as string[]);
    return reply.code(204).send();
  });
}

/** The ARN in the path (the router has URL-decoded it), checked against the model's resource pattern. */
function resourceArn(request: FastifyRequest): string {
  const arn = (request.params as { "*": string })["*"];
  validateAgainstModel({ Resource: arn }, resourceArnShape);
  return arn;
}
