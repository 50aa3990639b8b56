/**
 * Changes flow from a change stream through a DocumentDB mapping to an HTTP function served by the test. The
 * cluster is the suite's MongoDB wire-protocol server (test/services/mongo), reached through the real `mongodb`
 * driver, as Sluice reaches a DocumentDB cluster or a MongoDB replica set: AWS's event shape, one invocation at a
 * time in change stream order, starting positions, retries until success, resume after a restart, expired
 * history disabling the mapping, oversized changes dropped, BASIC_AUTH, and errors reported in the mapping.
 */
import { randomUUID } from "node:crypto";
import { type Db, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, ESM_PATH } from "../helpers/http.js";
import { type HttpFunction, type Invocation, startHttpFunction } from "../helpers/http-function.js";
import { eventually, type InProcessSluice, startInProcess, tempDir } from "../helpers/sluice.js";
import { sleep } from "../helpers/streams.js";
import { type MongoTestServer, startMongoServer } from "../services/mongo/server.js";

const CLUSTER = "arn:aws:rds:us-east-1:000000000000:cluster:docs";
const SECURED = "arn:aws:rds:us-east-1:000000000000:cluster:secured";
/** A cluster of its own, with a short change stream retention: a quiet collection's position is stored every second. */
const QUIET = "arn:aws:rds:us-east-1:000000000000:cluster:quiet";
const UNKNOWN = "arn:aws:rds:us-east-1:000000000000:cluster:unknown";
const SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:docdb";
const WRONG_SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:wrong";

let fn: HttpFunction;
let server: MongoTestServer;
let secured: MongoTestServer;
let client: MongoClient;
let dataDir: string;
let sut: InProcessSluice;

const functions = () => ({ changes: { url: `${fn.origin}/invoke`, timeout: 30 } });
const config = () => ({
  brokers: {
    [CLUSTER]: { uri: server.uri },
    [SECURED]: { uri: secured.uri },
  },
  secrets: {
    [SECRET]: { username: "lambda", password: "s3cret" },
    [WRONG_SECRET]: { username: "lambda", password: "wrong" },
  },
});

beforeAll(async () => {
  [fn, server, secured] = await Promise.all([
    startHttpFunction(),
    startMongoServer(),
    startMongoServer({ users: { lambda: "s3cret" } }),
  ]);
  client = new MongoClient(server.uri);
  dataDir = tempDir();
  sut = await startInProcess(dataDir, functions(), config());
});
afterAll(async () => {
  await sut.close();
  await client.close();
  await Promise.all([fn.close(), server.close(), secured.close()]);
});

interface ChangeEvent {
  _id: { _data: string };
  clusterTime: { $timestamp: { t: number; i: number } };
  documentKey: { _id: unknown };
  fullDocument?: Record<string, unknown> | null;
  ns: { db: string; coll: string };
  operationType: string;
  updateDescription?: { updatedFields: Record<string, unknown>; removedFields: string[] };
}
interface DocdbEvent {
  eventSourceArn: string;
  events: { event: ChangeEvent }[];
  eventSource: string;
}

/** A database of its own per test: the function's invocations are told apart by it. */
const uniqueDb = () => `db_${randomUUID().slice(0, 8)}`;
const eventOf = (invocation: Invocation) => invocation.event as unknown as DocdbEvent;
const changesOf = (db: string) => fn.invocationsOf(db).flatMap((i) => eventOf(i).events.map((e) => e.event));
const dataOf = (db: string) => changesOf(db).map((c) => c.fullDocument?.data);
const received = (db: string, n: number, timeoutMs = 30_000) =>
  eventually(async () => (changesOf(db).length >= n ? true : undefined), timeoutMs);

async function map(db: string, extra: Record<string, unknown> = {}, target = sut): Promise<string> {
  const created = await call(target.endpoint, "POST", ESM_PATH, {
    FunctionName: "changes",
    EventSourceArn: CLUSTER,
    DocumentDBEventSourceConfig: { DatabaseName: db, CollectionName: "orders" },
    StartingPosition: "TRIM_HORIZON",
    ...extra,
  });
  expect(created.status, created.text).toBe(202);
  return String(created.body?.UUID);
}

const get = async (uuid: string, target = sut) =>
  (await call(target.endpoint, "GET", ESM_PATH + uuid)).body ?? {};
const update = (uuid: string, body: Record<string, unknown>) =>
  call(sut.endpoint, "PUT", ESM_PATH + uuid, body);
const remove = (uuid: string, target = sut) => call(target.endpoint, "DELETE", ESM_PATH + uuid);
const settled = (uuid: string, state: string, target = sut) =>
  eventually(async () => ((await get(uuid, target)).State === state ? true : undefined), 30_000);

/** Inserts documents `{data: "<i>"}`, numbered from `from`. */
const insert = (db: Db, n: number, from = 0, coll = "orders") =>
  db.collection(coll).insertMany(Array.from({ length: n }, (_, i) => ({ data: String(from + i) })));
const numbers = (n: number, from = 0) => Array.from({ length: n }, (_, i) => String(from + i));

/** A mapping's series at /metrics, by name. */
async function metricsOf(uuid: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${sut.endpoint}/metrics`)).text();
  const series = [...text.matchAll(new RegExp(`^(\\w+)\\{uuid="${uuid}"[^}]*\\} (\\S+)$`, "gm"))];
  return Object.fromEntries(series.map(([, name, value]) => [name, Number(value)]));
}

describe("DocumentDB change streams to a function", () => {
  it("delivers inserts, updates, replaces and deletes in AWS's event shape, in change stream order", async () => {
    const name = uniqueDb();
    const db = client.db(name);
    const orders = db.collection<{ _id: string; data?: string; status?: string; total?: number }>("orders");
    await orders.insertOne({ _id: "a", data: "0", status: "new", total: 1 });
    await orders.updateOne({ _id: "a" }, { $set: { status: "paid" }, $unset: { total: "" } });
    await orders.replaceOne({ _id: "a" }, { data: "2", status: "replaced" });
    await orders.deleteOne({ _id: "a" });
    // Another collection of the database: not this mapping's.
    await db.collection("audit").insertOne({ data: "x" });
    const uuid = await map(name, { MaximumBatchingWindowInSeconds: 0 });
    await received(name, 4);
    await sleep(500);

    const invocation = fn.invocationsOf(name)[0] as Invocation;
    const event = eventOf(invocation);
    expect(Object.keys(event)).toEqual(["eventSourceArn", "events", "eventSource"]);
    expect(event.eventSourceArn).toBe(CLUSTER);
    expect(event.eventSource).toBe("aws:docdb");
    const changes = changesOf(name);
    expect(changes.map((c) => c.operationType)).toEqual(["insert", "update", "replace", "delete"]);
    const [inserted, updated, replaced, deleted] = changes as [
      ChangeEvent,
      ChangeEvent,
      ChangeEvent,
      ChangeEvent,
    ];
    expect(inserted._id._data).toMatch(/^[0-9a-fA-F]+$/);
    expect(inserted.clusterTime.$timestamp.t).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(inserted.ns).toEqual({ db: name, coll: "orders" });
    expect(inserted.documentKey).toEqual({ _id: "a" });
    expect(inserted.fullDocument).toEqual({ _id: "a", data: "0", status: "new", total: 1 });
    // FullDocument Default: an update carries only what changed.
    expect(updated.updateDescription).toMatchObject({
      updatedFields: { status: "paid" },
      removedFields: ["total"],
    });
    expect(updated.fullDocument).toBeUndefined();
    expect(replaced.fullDocument).toEqual({ _id: "a", data: "2", status: "replaced" });
    expect(deleted.documentKey).toEqual({ _id: "a" });
    expect(deleted.fullDocument).toBeUndefined();
    // Resume tokens rise with the stream.
    const tokens = changes.map((c) => c._id._data);
    expect([...tokens].sort()).toEqual(tokens);
    expect(invocation.headers["x-amz-function-name"]).toBe("changes");
    await eventually(async () => ((await get(uuid)).LastProcessingResult === "OK" ? true : undefined));
    await remove(uuid);
  });

  it("adds the whole document to updates with UpdateLookup, and watches every collection without CollectionName", async () => {
    const name = uniqueDb();
    const db = client.db(name);
    const uuid = await map(name, {
      DocumentDBEventSourceConfig: { DatabaseName: name, FullDocument: "UpdateLookup" },
      MaximumBatchingWindowInSeconds: 0,
    });
    await settled(uuid, "Enabled");
    await sleep(1_000);
    await db.collection("orders").insertOne({ _id: "o1", data: "1", n: 1 } as never);
    await db.collection("orders").updateOne({ _id: "o1" } as never, { $inc: { n: 1 } });
    await db.collection("refunds").insertOne({ _id: "r1", data: "r" } as never);
    await received(name, 3);
    const changes = changesOf(name);
    expect(changes.map((c) => `${c.ns.coll}:${c.operationType}`)).toEqual([
      "orders:insert",
      "orders:update",
      "refunds:insert",
    ]);
    expect(changes[1]?.fullDocument).toEqual({ _id: "o1", data: "1", n: 2 });
    expect(changes[1]?.updateDescription?.updatedFields).toEqual({ n: 2 });
    await remove(uuid);
  });

  it("batches up to BatchSize within the default 500 ms window, one invocation at a time", async () => {
    const name = uniqueDb();
    const db = client.db(name);
    let slow = 0;
    fn.on(name, async () => {
      // The first batches take a while, so that later changes pile up behind them.
      if (slow++ < 2) await sleep(300);
      return { body: {} };
    });
    const uuid = await map(name, { BatchSize: 100 });
    expect((await get(uuid)).MaximumBatchingWindowInSeconds).toBe(0);
    await settled(uuid, "Enabled");
    await sleep(1_000);
    // Five changes 50 ms apart: the 500 ms window from the first gathers them into one batch.
    for (let i = 0; i < 5; i++) {
      await insert(db, 1, i);
      await sleep(50);
    }
    await insert(db, 245, 5);
    await received(name, 250);
    await sleep(300);
    const invocations = fn.invocationsOf(name);
    expect(dataOf(name)).toEqual(numbers(250));
    expect(Math.max(...invocations.map((i) => eventOf(i).events.length))).toBe(100);
    expect(invocations.every((i) => i.inFlight === 1)).toBe(true);
    expect(eventOf(invocations[0] as Invocation).events.length).toBeGreaterThanOrEqual(5);
    await remove(uuid);
  });

  it("retries a failing batch until it succeeds, holding back the changes after it", async () => {
    const name = uniqueDb();
    const db = client.db(name);
    let failures = 0;
    fn.on(name, (invocation) => {
      const first = eventOf(invocation).events[0]?.event.fullDocument?.data;
      if (first === "10" && failures < 3) {
        failures++;
        return {
          status: 200,
          headers: { "x-amz-function-error": "Unhandled" },
          body: { errorMessage: "boom" },
        };
      }
      return { body: {} };
    });
    const uuid = await map(name, { BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
    await settled(uuid, "Enabled");
    await insert(db, 10);
    await received(name, 10);
    await insert(db, 20, 10);
    await eventually(async () =>
      (await get(uuid)).LastProcessingResult === "PROBLEM: Function call failed" ? true : undefined,
    );
    await eventually(async () => (new Set(dataOf(name)).size === 30 ? true : undefined), 30_000);
    await sleep(300);
    // The failed batch is invoked again, whole, before anything after it.
    const batches = fn
      .invocationsOf(name)
      .map((i) => eventOf(i).events.map((e) => e.event.fullDocument?.data));
    expect(batches.filter((b) => b[0] === "10")).toHaveLength(4);
    const delivered = batches.flat();
    const firstAfter = delivered.indexOf("20");
    expect(delivered.lastIndexOf("10")).toBeLessThan(firstAfter);
    expect(failures).toBe(3);
    await eventually(async () => ((await get(uuid)).LastProcessingResult === "OK" ? true : undefined));
    await remove(uuid);
  });

  it("starts at LATEST from the mapping's creation, and at AT_TIMESTAMP from that time", async () => {
    const name = uniqueDb();
    const db = client.db(name);
    await insert(db, 3, 0, "orders");
    // Cluster times have seconds: the mapping is created in a later second than the changes before it.
    await sleep(1_100);
    const latest = await map(name, { StartingPosition: "LATEST", MaximumBatchingWindowInSeconds: 0 });
    await settled(latest, "Enabled");
    await insert(db, 2, 3, "orders");
    await received(name, 2);
    await sleep(500);
    expect(dataOf(name)).toEqual(["3", "4"]);
    await remove(latest);

    const other = uniqueDb();
    const odb = client.db(other);
    await insert(odb, 2, 0);
    await sleep(1_100);
    const since = Math.floor(Date.now() / 1000);
    await sleep(1_100);
    await insert(odb, 2, 2);
    const timed = await map(other, {
      StartingPosition: "AT_TIMESTAMP",
      StartingPositionTimestamp: since,
      MaximumBatchingWindowInSeconds: 0,
    });
    await received(other, 2);
    await sleep(500);
    expect(dataOf(other)).toEqual(["2", "3"]);
    await remove(timed);
  });

  it("resumes after a restart just after the last processed change, skipping none", async () => {
    const name = uniqueDb();
    const db = client.db(name);
    const dir = tempDir();
    let first: InProcessSluice | undefined = await startInProcess(dir, functions(), config());
    const uuid = await map(name, { BatchSize: 10, MaximumBatchingWindowInSeconds: 0 }, first);
    await insert(db, 30);
    await received(name, 30);
    await first.close();
    first = undefined;
    // Written while no Sluice runs.
    await insert(db, 30, 30);
    const second = await startInProcess(dir, functions(), config());
    try {
      await received(name, 60);
      await sleep(500);
      expect(dataOf(name)).toEqual(numbers(60));
      expect((await get(uuid, second)).State).toBe("Enabled");
      await remove(uuid, second);
    } finally {
      await second.close();
    }
  });

  it("keeps a quiet collection's position moving with the cluster's, so a restart after its history expired resumes", async () => {
    const quiet = await startMongoServer();
    const quietClient = new MongoClient(quiet.uri);
    const quietConfig = { brokers: { [QUIET]: { uri: quiet.uri, changeStreamRetentionSeconds: 10 } } };
    const name = uniqueDb();
    const db = quietClient.db(name);
    const dir = tempDir();
    const first = await startInProcess(dir, functions(), quietConfig);
    const uuid = await map(name, { EventSourceArn: QUIET, MaximumBatchingWindowInSeconds: 0 }, first);
    await insert(db, 2);
    await received(name, 2);
    // Only another collection changes for a while; the mapping's position follows the cluster's.
    for (let i = 0; i < 5; i++) {
      await insert(db, 10, 0, "audit");
      await sleep(400);
    }
    await first.close();
    // The quiet collection's last change is gone from the change stream, with all but the newest of the others.
    quiet.expireHistory(1);
    const second = await startInProcess(dir, functions(), quietConfig);
    try {
      await insert(db, 1, 2);
      await received(name, 3);
      expect((await get(uuid, second)).State).toBe("Enabled");
      expect(dataOf(name)).toEqual(numbers(3));
      await remove(uuid, second);
    } finally {
      await second.close();
      await quietClient.close();
      await quiet.close();
    }
  });

  it("goes on without loss or repeats when the connection to the cluster drops", async () => {
    const name = uniqueDb();
    const db = client.db(name);
    const uuid = await map(name, { BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
    await settled(uuid, "Enabled");
    await insert(db, 20);
    await received(name, 20);
    server.dropConnections();
    await eventually(async () => {
      await insert(db, 1, 20);
      return true;
    });
    await insert(db, 19, 21);
    await received(name, 40);
    await sleep(500);
    expect(dataOf(name).join(" ")).toEqual(numbers(40).join(" "));
    await remove(uuid);
  });

  it("drops a change too large for any invocation, counting it, and goes on", async () => {
    const name = uniqueDb();
    const db = client.db(name);
    const uuid = await map(name, { BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
    await settled(uuid, "Enabled");
    await db.collection("orders").insertOne({ data: "small-1" });
    await db.collection("orders").insertOne({ data: "huge", blob: "x".repeat(7 * 1024 * 1024) });
    await db.collection("orders").insertOne({ data: "small-2" });
    await received(name, 2);
    await sleep(500);
    expect(dataOf(name)).toEqual(["small-1", "small-2"]);
    await eventually(async () => ((await metricsOf(uuid)).OversizedRecordCount === 1 ? true : undefined));
    await remove(uuid);
  });

  it("is disabled, saying why, when its resume point has expired from the change stream", async () => {
    const name = uniqueDb();
    const db = client.db(name);
    const uuid = await map(name, { BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
    await insert(db, 5);
    await received(name, 5);
    expect((await update(uuid, { Enabled: false })).status).toBe(202);
    await settled(uuid, "Disabled");
    await insert(db, 5, 5);
    server.expireHistory(1);
    expect((await update(uuid, { Enabled: true })).status).toBe(202);
    await settled(uuid, "Disabled");
    const mapping = await get(uuid);
    expect(mapping.StateTransitionReason).toMatch(/^PROBLEM: The change stream's events .* have expired/);
    expect(mapping.StateTransitionReason).toMatch(/Create a new event source mapping/);
    expect(mapping.LastProcessingResult).toMatch(/^PROBLEM: The change stream's events/);
    // Nothing was delivered out of order or from after the gap.
    expect(dataOf(name)).toEqual(numbers(5));
    await remove(uuid);
  });

  it("authenticates with the BASIC_AUTH secret, and reports a wrong one as EVENT_SOURCE_AUTHN_ERROR", async () => {
    const name = uniqueDb();
    const secure = new MongoClient(secured.uri, { auth: { username: "lambda", password: "s3cret" } });
    try {
      const good = await map(name, {
        EventSourceArn: SECURED,
        SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: SECRET }],
        MaximumBatchingWindowInSeconds: 0,
      });
      await insert(secure.db(name), 3);
      await received(name, 3);
      expect(eventOf(fn.invocationsOf(name)[0] as Invocation).eventSourceArn).toBe(SECURED);
      await remove(good);

      const bad = await map(uniqueDb(), {
        EventSourceArn: SECURED,
        SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: WRONG_SECRET }],
      });
      await eventually(async () => {
        const mapping = await get(bad);
        return mapping.StateTransitionReason === "EVENT_SOURCE_AUTHN_ERROR" ? mapping : undefined;
      });
      expect((await get(bad)).LastProcessingResult).toBe("PROBLEM: DocumentDB authentication failed");
      await remove(bad);
    } finally {
      await secure.close();
    }
  });

  it("reports a cluster the config file does not have as ESM_CONFIG_NOT_VALID", async () => {
    const uuid = await map(uniqueDb(), { EventSourceArn: UNKNOWN });
    const mapping = await eventually(async () => {
      const m = await get(uuid);
      return m.StateTransitionReason === "ESM_CONFIG_NOT_VALID" ? m : undefined;
    });
    expect(mapping.LastProcessingResult).toMatch(
      /^PROBLEM: The DocumentDB cluster .*cluster:unknown is not in/,
    );
    await remove(uuid);
  });
});
