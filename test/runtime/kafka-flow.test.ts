/**
 * Records flow from Kafka (librdkafka's mock cluster, started by test/services/up) through a mapping to an HTTP
 * function served by the test: AWS's event shape, order per partition, offsets committed to the group (filtered
 * records included) and resumed from, retries, provisioned mode's error handling and kafka:// destination, a
 * group shared with another Sluice, errors reported in the mapping.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, ESM_PATH } from "../helpers/http.js";
import { type HttpFunction, type Invocation, startHttpFunction } from "../helpers/http-function.js";
import {
  closeKafka,
  committedOffsets,
  consumeAll,
  produce,
  topicOffsets,
  uniqueTopic,
} from "../helpers/kafka.js";
import { eventually, type InProcessSluice, startInProcess, tempDir } from "../helpers/sluice.js";
import { sleep } from "../helpers/streams.js";
import { kafkaBootstrap } from "../services/endpoints.js";

const CLUSTER = "arn:aws:kafka:us-east-1:000000000000:cluster/local/0001";
const NETWORK_ONLY = [{ Type: "VPC_SUBNET", URI: "subnet:subnet-0001" }];

let fn: HttpFunction;
let sut: InProcessSluice;

const functions = () => ({ hooks: { url: `${fn.origin}/invoke`, timeout: 30, reservedConcurrency: 100 } });
const config = () => ({ brokers: { [CLUSTER]: { bootstrapServers: kafkaBootstrap() } } });

beforeAll(async () => {
  fn = await startHttpFunction();
  sut = await startInProcess(tempDir(), functions(), config());
});
afterAll(async () => {
  await sut.close();
  await fn.close();
  await closeKafka();
});

interface KafkaEventRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: string;
  key?: string;
  value?: string;
  headers: Record<string, number[]>[];
}
interface KafkaEvent {
  eventSource: string;
  eventSourceArn?: string;
  bootstrapServers: string;
  records: Record<string, KafkaEventRecord[]>;
}

const eventOf = (invocation: Invocation) => invocation.event as unknown as KafkaEvent;
const recordsOf = (topic: string) =>
  fn.invocationsOf(topic).flatMap((i) => Object.values(eventOf(i).records).flat());
const valuesOf = (topic: string) =>
  recordsOf(topic).map((r) => Buffer.from(r.value ?? "", "base64").toString());
const received = (topic: string, n: number, timeoutMs = 30_000) =>
  eventually(async () => (recordsOf(topic).length >= n ? true : undefined), timeoutMs);

async function map(
  target: InProcessSluice,
  topic: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const created = await call(target.endpoint, "POST", ESM_PATH, {
    FunctionName: "hooks",
    Topics: [topic],
    SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: kafkaBootstrap() } },
    SourceAccessConfigurations: NETWORK_ONLY,
    StartingPosition: "TRIM_HORIZON",
    BatchSize: 10,
    MaximumBatchingWindowInSeconds: 0,
    ...extra,
  });
  expect(created.status, created.text).toBe(202);
  return String(created.body?.UUID);
}

const get = async (uuid: string, target = sut) =>
  (await call(target.endpoint, "GET", ESM_PATH + uuid)).body ?? {};
const remove = (uuid: string, target = sut) => call(target.endpoint, "DELETE", ESM_PATH + uuid);
const settled = (uuid: string, state: string, target = sut) =>
  eventually(async () => ((await get(uuid, target)).State === state ? true : undefined), 30_000);

/** `n` messages "<i>" keyed k<i mod keys>, so each key's messages land in one partition in order. */
const messages = (n: number, keys = 8, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ key: `k${(from + i) % keys}`, value: String(from + i) }));

/** Each partition's offsets in the order the function saw them. */
function offsetsByPartition(topic: string): Map<number, number[]> {
  const byPartition = new Map<number, number[]>();
  for (const r of recordsOf(topic))
    byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.offset]);
  return byPartition;
}

/** A mapping's series at /metrics, by name. */
async function metricsOf(uuid: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${sut.endpoint}/metrics`)).text();
  const series = [...text.matchAll(new RegExp(`^(\\w+)\\{uuid="${uuid}"[^}]*\\} (\\S+)$`, "gm"))];
  return Object.fromEntries(series.map(([, name, value]) => [name, Number(value)]));
}

const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || x > (xs[i - 1] as number));

/** Waits until the group has committed every partition up to its end. */
async function committedToEnd(group: string, topic: string) {
  await eventually(async () => {
    const [ends, committed] = await Promise.all([topicOffsets(topic), committedOffsets(group, topic)]);
    // A partition nothing was written to has nothing to commit.
    return ends.every((p) => (p.high === 0 ? 0 : committed.get(p.partition)) === p.high) ? true : undefined;
  }, 30_000);
}

describe("Kafka to a function", () => {
  it("delivers each partition in order, in AWS's self-managed Kafka event shape, committing the offsets", {
    timeout: 60_000,
  }, async () => {
    const topic = uniqueTopic();
    await produce(topic, [
      { key: "first", value: "hello", headers: { trace: "abc", bin: Buffer.from([1, 255]) }, partition: 2 },
      ...messages(99),
    ]);
    const group = `g-${topic}`;
    const uuid = await map(sut, topic, { SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: group } });
    await received(topic, 100);
    await committedToEnd(group, topic);

    const invocation = fn.invocationsOf(topic)[0] as Invocation;
    const event = eventOf(invocation);
    expect(Object.keys(event)).toEqual(["eventSource", "bootstrapServers", "records"]);
    expect(event.eventSource).toBe("SelfManagedKafka");
    expect(event.bootstrapServers).toBe(kafkaBootstrap().join(","));
    for (const [key, list] of Object.entries(event.records))
      for (const r of list) expect(key).toBe(`${topic}-${r.partition}`);

    const first = recordsOf(topic).find((r) => r.key === Buffer.from("first").toString("base64"));
    expect(first).toMatchObject({
      topic,
      partition: 2,
      offset: 0,
      timestampType: "CREATE_TIME",
      value: Buffer.from("hello").toString("base64"),
      headers: [{ trace: [...Buffer.from("abc")] }, { bin: [1, 255] }],
    });
    expect(Object.keys(first ?? {})).toEqual([
      "topic",
      "partition",
      "offset",
      "timestamp",
      "timestampType",
      "key",
      "value",
      "headers",
    ]);
    expect(Math.abs((first?.timestamp ?? 0) - Date.now())).toBeLessThan(60_000);

    // Every record once, each partition in offset order, batches of at most 10.
    expect(valuesOf(topic).sort()).toEqual(["hello", ...messages(99).map((m) => m.value)].sort());
    for (const offsets of offsetsByPartition(topic).values()) expect(ascending(offsets)).toBe(true);
    expect(
      Math.max(...fn.invocationsOf(topic).map((i) => Object.values(eventOf(i).records).flat().length)),
    ).toBe(10);
    const metrics = await metricsOf(uuid);
    expect(metrics.PolledEventCount).toBe(100);
    expect(metrics.CommittedEventCount).toBe(100);
    expect(metrics.ConcurrentPollers).toBe(1);
    expect([metrics.OffsetLag, metrics.SumOffsetLag, metrics.MaxOffsetLag]).toEqual([0, 0, 0]);
    await remove(uuid);
  });

  it("resumes from the group's committed offsets after a disable and in a new mapping, whatever StartingPosition", {
    timeout: 60_000,
  }, async () => {
    const topic = uniqueTopic();
    const group = `g-${topic}`;
    await produce(topic, messages(20));
    const uuid = await map(sut, topic, { SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: group } });
    await received(topic, 20);
    await committedToEnd(group, topic);

    await call(sut.endpoint, "PUT", ESM_PATH + uuid, { Enabled: false });
    await settled(uuid, "Disabled");
    await produce(topic, messages(10, 8, 20));
    await call(sut.endpoint, "PUT", ESM_PATH + uuid, { Enabled: true });
    await received(topic, 30);
    await committedToEnd(group, topic);
    await remove(uuid);
    await eventually(async () =>
      (await call(sut.endpoint, "GET", ESM_PATH + uuid)).status === 404 ? true : undefined,
    );

    // A new mapping in the same group reads on from the commits, not from TRIM_HORIZON.
    await produce(topic, messages(5, 8, 30));
    const again = await map(sut, topic, { SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: group } });
    await received(topic, 35);
    await sleep(1_000);
    expect(valuesOf(topic).sort((a, b) => Number(a) - Number(b))).toEqual(messages(35).map((m) => m.value));
    await remove(again);
  });

  it("starts at LATEST with new records only, and keeps to it across a disable before any record came", {
    timeout: 90_000,
  }, async () => {
    const topic = uniqueTopic();
    const group = `g-${topic}`;
    await produce(topic, messages(8));
    const uuid = await map(sut, topic, {
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: group },
      StartingPosition: "LATEST",
    });
    // The starting position is committed for the group before its first member joins.
    await committedToEnd(group, topic);
    await call(sut.endpoint, "PUT", ESM_PATH + uuid, { Enabled: false });
    await settled(uuid, "Disabled");
    await produce(topic, messages(4, 8, 8));
    await call(sut.endpoint, "PUT", ESM_PATH + uuid, { Enabled: true });
    await received(topic, 4);
    await committedToEnd(group, topic);
    expect(valuesOf(topic).sort()).toEqual(["10", "11", "8", "9"]);
    await remove(uuid);
  });

  it("retries a failing batch until it succeeds, holding back its partition only", {
    timeout: 60_000,
  }, async () => {
    const topic = uniqueTopic();
    const group = `g-${topic}`;
    let failures = 0;
    fn.on(topic, ({ event }) => {
      const values = Object.values((event as unknown as KafkaEvent).records)
        .flat()
        .map((r) => Buffer.from(r.value ?? "", "base64").toString());
      if (values.includes("poison") && failures < 3) {
        failures++;
        return { status: 500, body: { errorType: "Error", errorMessage: "poison" } };
      }
      return { body: {} };
    });
    await produce(topic, [
      { key: "a", value: "poison", partition: 0 },
      ...Array.from({ length: 5 }, (_, i) => ({ key: "a", value: `after-${i}`, partition: 0 })),
      ...Array.from({ length: 5 }, (_, i) => ({ key: "b", value: `other-${i}`, partition: 1 })),
    ]);
    const uuid = await map(sut, topic, {
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: group },
      BatchSize: 1,
    });
    // While the poison record fails, partition 0's six records wait uncommitted.
    await eventually(async () => ((await metricsOf(uuid)).MaxOffsetLag === 6 ? true : undefined));
    await received(topic, 14);
    await committedToEnd(group, topic);
    await eventually(async () => ((await metricsOf(uuid)).SumOffsetLag === 0 ? true : undefined));
    expect((await metricsOf(uuid)).InvokeErrorCount).toBe(3);
    const seen = valuesOf(topic);
    expect(seen.filter((v) => v === "poison")).toHaveLength(4);
    // Partition 0 waited for the poison record; partition 1 went on meanwhile.
    const partition0 = seen.filter((v) => v === "poison" || v.startsWith("after-"));
    expect(partition0).toEqual([
      "poison",
      "poison",
      "poison",
      "poison",
      ...Array.from({ length: 5 }, (_, i) => `after-${i}`),
    ]);
    expect(seen.indexOf("other-4")).toBeLessThan(seen.lastIndexOf("poison"));
    expect((await get(uuid)).LastProcessingResult).toBe("OK");
    await remove(uuid);
  });

  it("commits past records the filter drops, invoking the function only for the rest", {
    timeout: 60_000,
  }, async () => {
    const topic = uniqueTopic();
    const group = `g-${topic}`;
    await produce(
      topic,
      Array.from({ length: 20 }, (_, i) => ({
        key: `k${i % 4}`,
        value: JSON.stringify({ n: i, keep: i % 5 === 0 }),
      })),
    );
    const uuid = await map(sut, topic, {
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: group },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ value: { keep: [true] } }) }] },
    });
    await committedToEnd(group, topic);
    await sleep(500);
    expect(
      valuesOf(topic)
        .map((v) => JSON.parse(v).n)
        .sort((a, b) => a - b),
    ).toEqual([0, 5, 10, 15]);
    await remove(uuid);
  });

  it("in provisioned mode, retries from a reported item, then sends it to a kafka:// destination and goes on", {
    timeout: 60_000,
  }, async () => {
    const topic = uniqueTopic();
    const dlq = uniqueTopic("dlq");
    const group = `g-${topic}`;
    // Fails the record "3" by its item identifier, every time.
    fn.on(topic, ({ event }) => {
      const bad = Object.values((event as unknown as KafkaEvent).records)
        .flat()
        .filter((r) => Buffer.from(r.value ?? "", "base64").toString() === "3");
      return {
        body: {
          batchItemFailures: bad.map((r) => ({
            itemIdentifier: { partition: `${r.topic}-${r.partition}`, offset: r.offset },
          })),
        },
      };
    });
    await produce(
      topic,
      Array.from({ length: 6 }, (_, i) => ({ key: "one", value: String(i), partition: 0 })),
    );
    const uuid = await map(sut, topic, {
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: group },
      BatchSize: 6,
      ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 3 },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnFailure: { Destination: `kafka://${dlq}` } },
    });
    // MinimumPollers members in the group.
    await eventually(
      async () => ((await metricsOf(uuid)).ConcurrentPollers === 2 ? true : undefined),
      30_000,
    );
    const [failure] = await consumeAll(dlq, 1, { timeoutMs: 40_000 });
    await committedToEnd(group, topic);

    // The first invocation had all six; the retry started at the failed record.
    const batches = fn.invocationsOf(topic).map((i) =>
      Object.values(eventOf(i).records)
        .flat()
        .map((r) => r.offset),
    );
    expect(batches.slice(0, 2)).toEqual([
      [0, 1, 2, 3, 4, 5],
      [3, 4, 5],
    ]);
    expect(failure?.key?.toString()).toBe("one");
    const record = JSON.parse(failure?.value?.toString() ?? "{}");
    expect(Object.keys(record)).toEqual([
      "requestContext",
      "responseContext",
      "version",
      "timestamp",
      "KafkaBatchInfo",
      "payload",
    ]);
    expect(record.requestContext).toMatchObject({ condition: "RetriesExhausted", approximateInvokeCount: 2 });
    expect(record.responseContext).toEqual({
      statusCode: 200,
      executedVersion: "$LATEST",
      functionError: null,
    });
    expect(record.KafkaBatchInfo).toEqual({
      batchSize: 3,
      bootstrapServers: kafkaBootstrap().join(","),
      payloadSize: expect.any(Number),
      recordInfo: { offset: "3", timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) },
    });
    expect(record.payload.eventSource).toBe("SelfManagedKafka");
    expect(record.payload.records[`${topic}-0`].map((r: KafkaEventRecord) => r.offset)).toEqual([3, 4, 5]);
    await remove(uuid);
  });

  it("maps an MSK cluster through the config file's brokers, in the aws:kafka event shape", {
    timeout: 60_000,
  }, async () => {
    const topic = uniqueTopic();
    await produce(topic, messages(3));
    const uuid = await map(sut, topic, {
      EventSourceArn: CLUSTER,
      SelfManagedEventSource: undefined,
      SourceAccessConfigurations: undefined,
    });
    await received(topic, 3);
    const event = eventOf(fn.invocationsOf(topic)[0] as Invocation);
    expect(Object.keys(event)).toEqual(["eventSource", "eventSourceArn", "bootstrapServers", "records"]);
    expect(event).toMatchObject({ eventSource: "aws:kafka", eventSourceArn: CLUSTER });
    expect(event.bootstrapServers).toBe(kafkaBootstrap().join(","));
    await remove(uuid);
  });

  it("says why in the mapping when the cluster is unknown or cannot be reached", {
    timeout: 60_000,
  }, async () => {
    const unknown = await map(sut, uniqueTopic(), {
      EventSourceArn: "arn:aws:kafka:us-east-1:000000000000:cluster/nowhere/0002",
      SelfManagedEventSource: undefined,
      SourceAccessConfigurations: undefined,
    });
    const unreachable = await map(sut, uniqueTopic(), {
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ["127.0.0.1:1"] } },
    });
    await eventually(async () => {
      const m = await get(unknown);
      return String(m.LastProcessingResult).includes("not in the config file") ? m : undefined;
    });
    expect(await get(unknown)).toMatchObject({
      State: "Enabled",
      StateTransitionReason: "ESM_CONFIG_NOT_VALID",
      LastProcessingResult: expect.stringMatching(/^PROBLEM: The MSK cluster .*nowhere.* brokers/),
    });
    await eventually(async () => {
      const m = await get(unreachable);
      return String(m.LastProcessingResult).startsWith("PROBLEM: Kafka error:") ? m : undefined;
    }, 40_000);
    await remove(unknown);
    await remove(unreachable);
  });

  it("shares the topic's partitions with another Sluice in the same consumer group", {
    timeout: 90_000,
  }, async () => {
    const topic = uniqueTopic();
    const group = `g-${topic}`;
    const other = await startInProcess(
      tempDir(),
      { hooks: { url: `${fn.origin}/other`, timeout: 30, reservedConcurrency: 100 } },
      config(),
    );
    try {
      await produce(topic, messages(8));
      const mine = await map(sut, topic, { SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: group } });
      const theirs = await map(other, topic, {
        SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: group },
      });
      // Until both have joined (the mock's group protocol has no DescribeGroups), keep writing.
      let n = 8;
      await eventually(async () => {
        await produce(topic, messages(8, 8, n));
        n += 8;
        await sleep(500);
        const paths = new Set(fn.invocationsOf(topic).map((i) => i.path));
        return paths.has("/invoke") && paths.has("/other") ? true : undefined;
      }, 60_000);
      // Whatever either read before the rebalance is done with; from here on each reads its own partitions.
      await committedToEnd(group, topic);
      const before = fn.invocationsOf(topic).length;
      await produce(topic, messages(200, 8, n));
      await eventually(async () => (new Set(valuesOf(topic)).size >= n + 200 ? true : undefined), 30_000);
      const after = fn.invocationsOf(topic).slice(before);
      const partitionsOf = (path: string) =>
        new Set(
          after
            .filter((i) => i.path === path)
            .flatMap((i) =>
              Object.values(eventOf(i).records)
                .flat()
                .map((r) => r.partition),
            ),
        );
      const [a, b] = [partitionsOf("/invoke"), partitionsOf("/other")];
      expect(a.size).toBeGreaterThan(0);
      expect(b.size).toBeGreaterThan(0);
      expect([...a].filter((p) => b.has(p))).toEqual([]);
      await remove(mine);
      await remove(theirs, other);
    } finally {
      await other.close();
    }
  });
});
