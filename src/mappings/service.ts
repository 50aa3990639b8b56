/**
 * The event source mapping resource's operations, with Lambda's checks in Lambda's order. Callers hand in
 * bodies already checked against the API model (api/model.ts); everything here is a rule of the service.
 * Mutations run one at a time so that checks (duplicates above all) and writes cannot interleave.
 */
import { randomUUID } from "node:crypto";
import { parseFunctionName } from "../functions/function-name.js";
import type { FunctionRegistry, ResolvedFunction } from "../functions/registry.js";
import {
  InvalidParameterValueException,
  ResourceInUseException,
  ResourceNotFoundException,
} from "../runtime/errors.js";
import type { SourceProbe } from "../sources/probe.js";
import type { Store, Tags } from "../store/store.js";
import { applyConfig, configInput } from "./config-fields.js";
import { rejectDuplicate } from "./duplicates.js";
import { toResponse } from "./response.js";
import { type ConfigField, detectSource, SOURCE_KINDS } from "./source-kinds.js";
import { isTransitional, settledState, stateOnCreate, stateOnUpdate } from "./state.js";
import type { EventSourceMapping } from "./types.js";
import {
  CREATE_ONLY,
  checkConfig,
  checkStartingPosition,
  checkTags,
  rejectCreateOnlyChanges,
  rejectForeignFields,
  rejectOnSuccess,
  requireKindFields,
} from "./validate.js";

export const DEFAULT_PAGE_SIZE = 100;

/** The StateTransitionReason codes Lambda sets when a broker source stops on an error it cannot get past. */
export const LAMBDA_ERROR_CODES: ReadonlySet<string> = new Set([
  "ESM_CONFIG_NOT_VALID",
  "EVENT_SOURCE_AUTHN_ERROR",
  "EVENT_SOURCE_AUTHZ_ERROR",
  "FUNCTION_CONFIG_NOT_VALID",
]);

export interface MappingServiceOptions {
  store: Store;
  functions: FunctionRegistry;
  probeSource: SourceProbe;
  region: string;
  account: string;
  /** Called after a mapping entered a transitional state, so the runtime can act and settle it. */
  onChange?: (uuid: string) => void;
  now?: () => number;
}

export interface ListQuery {
  EventSourceArn?: string;
  FunctionName?: string;
  Marker?: string;
  MaxItems?: number;
}

type Body = Record<string, unknown>;

export class MappingService {
  private readonly store: Store;
  private readonly now: () => number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: MappingServiceOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
  }

  async create(body: Body): Promise<Body> {
    const input = configInput(body);
    rejectOnSuccess(input);
    const { kind, fifo } = detectSource(input.EventSourceArn, input.SelfManagedEventSource !== undefined);
    const spec = SOURCE_KINDS[kind];
    requireKindFields(kind, input);
    rejectForeignFields(spec, input, input.ProvisionedPollerConfig !== undefined);
    checkStartingPosition(spec, input, input.EventSourceArn ?? "");
    const uuid = randomUUID();
    const config = applyConfig(spec, spec.defaults(uuid), input);
    checkConfig(kind, fifo, config);
    const tags = (body.Tags as Tags | undefined) ?? {};
    checkTags(tags);
    const fn = this.resolveFunction(body.FunctionName as string);
    // Asking the source whether it exists is a network call: it stays outside the lock mutations share.
    if (config.EventSourceArn !== undefined) await this.options.probeSource(kind, config.EventSourceArn);
    return this.serialize(async () => {
      rejectDuplicate({ kind, functionArn: fn.arn, config }, await this.store.listMappings());

      const enabled = (body.Enabled as boolean | undefined) ?? true;
      const now = this.now();
      const mapping: EventSourceMapping = {
        uuid,
        createdAt: now,
        kind,
        fifo,
        functionArn: fn.arn,
        enabled,
        state: stateOnCreate(enabled),
        stateTransitionReason: spec.userActionReason,
        lastModified: now,
        config,
      };
      await this.store.insertMapping(mapping, tags);
      this.changed(mapping);
      return this.respond(mapping);
    });
  }

  async get(uuid: string): Promise<Body> {
    return this.respond(await this.find(uuid));
  }

  async update(uuid: string, body: Body): Promise<Body> {
    return this.serialize(async () => {
      const stored = await this.find(uuid);
      this.rejectInUse(stored, "update");
      const input = configInput(body);
      rejectOnSuccess(input);
      rejectCreateOnlyChanges(stored, body);
      const spec = SOURCE_KINDS[stored.kind];
      // Create-only fields repeated with their stored value (checked above) change nothing.
      const updatable = Object.fromEntries(
        Object.entries(input).filter(([field]) => !CREATE_ONLY.includes(field as ConfigField)),
      );
      const config = applyConfig(spec, stored.config, updatable);
      rejectForeignFields(spec, updatable, config.ProvisionedPollerConfig !== undefined);
      checkConfig(stored.kind, stored.fifo, config);
      const functionArn =
        body.FunctionName === undefined
          ? stored.functionArn
          : this.resolveFunction(body.FunctionName as string).arn;

      const enabled = (body.Enabled as boolean | undefined) ?? stored.enabled;
      const mapping: EventSourceMapping = {
        ...stored,
        config,
        functionArn,
        enabled,
        state: stateOnUpdate(stored.enabled, enabled),
        stateTransitionReason: spec.userActionReason,
        lastModified: this.now(),
      };
      await this.store.putMapping(mapping);
      this.changed(mapping);
      return this.respond(mapping);
    });
  }

  async delete(uuid: string): Promise<Body> {
    return this.serialize(async () => {
      const stored = await this.find(uuid);
      if (stored.state === "Deleting") return this.respond(stored);
      this.rejectInUse(stored, "delete");
      const mapping: EventSourceMapping = { ...stored, state: "Deleting", lastModified: this.now() };
      await this.store.putMapping(mapping);
      this.changed(mapping);
      return this.respond(mapping);
    });
  }

  async list(query: ListQuery): Promise<Body> {
    const wanted = query.FunctionName === undefined ? undefined : this.functionMatcher(query.FunctionName);
    const all = (await this.store.listMappings()).filter(
      (m) =>
        (query.EventSourceArn === undefined || m.config.EventSourceArn === query.EventSourceArn) &&
        (wanted === undefined || wanted(m.functionArn)),
    );
    const start = query.Marker === undefined ? 0 : afterMarker(all, query.Marker);
    const size = query.MaxItems ?? DEFAULT_PAGE_SIZE;
    const page = all.slice(start, start + size);
    const last = page.at(-1);
    return {
      EventSourceMappings: page.map((m) =>
        toResponse(m, { ...this.arnContext(), hideEncryptedFilters: true }),
      ),
      ...(start + size < all.length && last ? { NextMarker: encodeMarker(last) } : {}),
    };
  }

  /** Moves a mapping out of its transitional state, unless another change came in since `lastModified`. */
  async settle(uuid: string, lastModified: number): Promise<void> {
    return this.serialize(async () => {
      const mapping = await this.store.getMapping(uuid);
      if (!mapping || mapping.lastModified !== lastModified || !isTransitional(mapping.state)) return;
      if (mapping.state === "Deleting") {
        await this.store.deleteMapping(uuid);
        return;
      }
      await this.store.putMapping({
        ...mapping,
        state: settledState(mapping.enabled),
        lastModified: this.now(),
      });
    });
  }

  /** The runtime's word on the mapping's health (`OK`, `PROBLEM: ...`); not a change of the mapping itself. */
  /**
   * The worker's view of the mapping's health: LastProcessingResult and, for the errors Lambda reports through
   * it (EVENT_SOURCE_AUTHN_ERROR, ...), StateTransitionReason, which goes back to the user's once they are over.
   */
  async recordProcessingResult(uuid: string, result: string, code?: string): Promise<void> {
    return this.serialize(async () => {
      const mapping = await this.store.getMapping(uuid);
      if (!mapping) return;
      const reason =
        code ??
        (LAMBDA_ERROR_CODES.has(mapping.stateTransitionReason)
          ? SOURCE_KINDS[mapping.kind].userActionReason
          : mapping.stateTransitionReason);
      if (mapping.lastProcessingResult === result && mapping.stateTransitionReason === reason) return;
      await this.store.putMapping({
        ...mapping,
        lastProcessingResult: result,
        stateTransitionReason: reason,
      });
    });
  }

  /**
   * Lambda disables a mapping it cannot go on with (DocumentDB: the change stream's events at its resume point
   * expired): the mapping goes Disabling, then Disabled as the runtime stops its worker, with `reason` as
   * StateTransitionReason until the user changes the mapping again.
   */
  async disableByLambda(uuid: string, reason: string): Promise<void> {
    return this.serialize(async () => {
      const stored = await this.store.getMapping(uuid);
      if (!stored?.enabled) return;
      const mapping: EventSourceMapping = {
        ...stored,
        enabled: false,
        state: "Disabling",
        stateTransitionReason: reason,
        lastModified: this.now(),
      };
      await this.store.putMapping(mapping);
      this.changed(mapping);
    });
  }

  // Tags, addressed by the mapping's ARN.

  async listTags(arn: string): Promise<Tags> {
    return this.store.getTags((await this.findByArn(arn)).uuid);
  }

  async tag(arn: string, tags: Tags): Promise<void> {
    return this.serialize(async () => {
      const { uuid } = await this.findByArn(arn);
      checkTags({ ...(await this.store.getTags(uuid)), ...tags });
      await this.store.tag(uuid, tags);
    });
  }

  async untag(arn: string, keys: readonly string[]): Promise<void> {
    return this.serialize(async () => this.store.untag((await this.findByArn(arn)).uuid, keys));
  }

  private async find(uuid: string): Promise<EventSourceMapping> {
    const mapping = await this.store.getMapping(uuid);
    if (!mapping) throw new ResourceNotFoundException("The resource you requested does not exist.");
    return mapping;
  }

  private async findByArn(arn: string): Promise<EventSourceMapping> {
    const [, , , region, account, type, uuid = ""] = arn.split(":");
    if (type === "function")
      throw new InvalidParameterValueException(
        "Sluice keeps tags on event source mappings only; functions are declared in its config file.",
      );
    const mapping =
      type === "event-source-mapping" && region === this.options.region && account === this.options.account
        ? await this.store.getMapping(uuid)
        : undefined;
    if (!mapping) throw new ResourceNotFoundException(`Event source mapping not found: ${arn}`);
    return mapping;
  }

  private rejectInUse(mapping: EventSourceMapping, action: string): void {
    if (isTransitional(mapping.state))
      throw new ResourceInUseException(
        `Cannot ${action} the event source mapping because it is in use (state ${mapping.state}). Try again shortly.`,
      );
  }

  private resolveFunction(functionName: string): ResolvedFunction {
    const fn = this.options.functions.resolve(functionName);
    if (!fn) throw new InvalidParameterValueException("Function does not exist");
    return fn;
  }

  /** ListEventSourceMappings matches a function by name (and qualifier, when given); it never fails. */
  private functionMatcher(functionName: string): (functionArn: string) => boolean {
    const ref = parseFunctionName(functionName);
    const { region, account } = this.options;
    if (!ref || (ref.region ?? region) !== region || (ref.account ?? account) !== account) return () => false;
    const prefix = `arn:aws:lambda:${region}:${account}:function:${ref.name}`;
    return (arn) =>
      ref.qualifier === undefined
        ? arn === prefix || arn.startsWith(`${prefix}:`)
        : arn === `${prefix}:${ref.qualifier}`;
  }

  private changed(mapping: EventSourceMapping): void {
    if (isTransitional(mapping.state)) this.options.onChange?.(mapping.uuid);
  }

  private respond(mapping: EventSourceMapping): Body {
    return toResponse(mapping, this.arnContext());
  }

  private arnContext() {
    return { region: this.options.region, account: this.options.account };
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function encodeMarker(mapping: EventSourceMapping): string {
  return Buffer.from(JSON.stringify([mapping.createdAt, mapping.uuid])).toString("base64url");
}

/** Index of the first mapping after the one the marker names; markers survive deletions in between. */
function afterMarker(mappings: readonly EventSourceMapping[], marker: string): number {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(marker, "base64url").toString("utf8"));
  } catch {
    position = undefined;
  }
  if (!Array.isArray(position) || typeof position[0] !== "number" || typeof position[1] !== "string")
    throw new InvalidParameterValueException("Invalid Marker: pass the NextMarker of a previous response.");
  const [createdAt, uuid] = position as [number, string];
  const index = mappings.findIndex(
    (m) => m.createdAt > createdAt || (m.createdAt === createdAt && m.uuid > uuid),
  );
  return index === -1 ? mappings.length : index;
}
