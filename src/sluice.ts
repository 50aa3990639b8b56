/** The composition root: config, store, functions, the mapping service, the runtime and the API, wired once. */
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import pino from "pino";
import { buildApi } from "./api/server.js";
import type { SluiceConfig } from "./config/config.js";
import { Invokers } from "./functions/invokers.js";
import { FunctionRegistry } from "./functions/registry.js";
import { MappingService } from "./mappings/service.js";
import type { InvocationObserver } from "./runtime/mapping-invoker.js";
import { Metrics } from "./runtime/metrics.js";
import { Supervisor } from "./runtime/supervisor.js";
import { workerFactory } from "./runtime/workers.js";
import { awsSourceProbe, type SourceProbe } from "./sources/probe.js";
import { SqliteStore } from "./store/sqlite.js";
import type { Store } from "./store/store.js";

export interface SluiceOptions {
  config: SluiceConfig;
  dataDir: string;
  logger?: FastifyBaseLogger;
  /** How create checks that a source exists; the AWS services by default. */
  probeSource?: SourceProbe;
  /** Told of every invocation a mapping makes. */
  onInvocation?: InvocationObserver;
  /** Handler functions run their module anew after its file changes (`sluice dev`). */
  reloadHandlers?: boolean;
}

export interface Sluice {
  readonly api: FastifyInstance;
  readonly service: MappingService;
  readonly supervisor: Supervisor;
  /** What /metrics serves, for embedding Sluice (benchmarks read it in-process). */
  readonly metrics: Metrics;
  /** Starts the runtime, then listens; resolves with the address. */
  listen(host: string, port: number): Promise<string>;
  /** Stops accepting requests, settles the runtime, closes the store. Safe to call twice. */
  close(): Promise<void>;
}

export function createSluice(options: SluiceOptions): Sluice {
  const { config } = options;
  const logger =
    options.logger ?? (pino({ level: process.env.SLUICE_LOG_LEVEL ?? "info" }) as FastifyBaseLogger);
  const store: Store = new SqliteStore(options.dataDir);
  const service = new MappingService({
    store,
    functions: FunctionRegistry.fromConfig(config),
    probeSource: options.probeSource ?? awsSourceProbe(config.region),
    region: config.region,
    account: config.accountId,
    onChange: (uuid) => supervisor.notify(uuid),
  });
  const metrics = new Metrics();
  const invokers = Invokers.fromConfig(config, { reload: options.reloadHandlers ?? false, log: logger });
  const supervisor = new Supervisor(
    store,
    service,
    workerFactory({
      invokers,
      service,
      store,
      brokers: config.brokers,
      secrets: config.secrets,
      metrics,
      region: config.region,
      roleArnOf: (name) => config.functions[name]?.role ?? `arn:aws:iam::${config.accountId}:role/${name}`,
      log: logger,
      onInvocation: options.onInvocation,
    }),
    logger,
    (mapping) => {
      metrics.forget(Metrics.labels(mapping.uuid, mapping.functionArn));
      // The stopped worker may have saved a checkpoint after the mapping itself was deleted.
      store
        .deleteCheckpoints(mapping.uuid)
        .catch((err: unknown) => logger.error({ err, uuid: mapping.uuid }, "deleting checkpoints failed"));
    },
  );
  const api = buildApi({ service, store, metrics, logger });

  let closing: Promise<void> | undefined;
  return {
    api,
    service,
    supervisor,
    metrics,
    async listen(host, port) {
      await supervisor.start();
      return api.listen({ host, port });
    },
    close() {
      closing ??= (async () => {
        await api.close().catch((err: unknown) => logger.error({ err }, "closing the API failed"));
        await supervisor.stop().catch((err: unknown) => logger.error({ err }, "stopping the runtime failed"));
        await invokers
          .close()
          .catch((err: unknown) => logger.error({ err }, "closing the function invokers failed"));
        await store.close().catch((err: unknown) => logger.error({ err }, "closing the store failed"));
      })();
      return closing;
    },
  };
}
