// The MongoDB wire-protocol test server (test/services/mongo/), through the real `mongodb` driver.
import { connect as connectTcp } from "node:net";
import {
  BSON,
  type ChangeStream,
  type ChangeStreamOptions,
  type CommandStartedEvent,
  type CommandSucceededEvent,
  type Document,
  Long,
  MongoClient,
  type MongoClientOptions,
  type ObjectId,
  type ResumeToken,
  Timestamp,
} from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MongoTestServer, type MongoTestServerOptions, startMongoServer } from "./mongo/server.js";

const servers: MongoTestServer[] = [];
const clients: MongoClient[] = [];

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all(servers.map((server) => server.close()));
});

async function startServer(options?: MongoTestServerOptions): Promise<MongoTestServer> {
  const server = await startMongoServer(options);
  servers.push(server);
  return server;
}

async function connect(uri: string, options?: MongoClientOptions): Promise<MongoClient> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 3000, ...options });
  clients.push(client);
  await client.connect();
  return client;
}

/** A change stream whose getMores wait 100 ms, not the default 1 s, for events. */
type Stream = ChangeStream<Document, Document>;
const streamOptions = (options: ChangeStreamOptions = {}): ChangeStreamOptions => ({
  maxAwaitTimeMS: 100,
  ...options,
});

/** Runs the stream's aggregate now (watch() is lazy), so it sees every later write. */
async function opened(stream: Stream): Promise<Stream> {
  expect(await stream.tryNext()).toBeNull();
  return stream;
}

async function take(stream: Stream, count: number): Promise<Document[]> {
  const events: Document[] = [];
  while (events.length < count) events.push(await stream.next());
  return events;
}

/** The tests' documents: numeric or string _ids (an ObjectId when left out). */
interface Doc {
  _id?: number | string | ObjectId;
  n?: number;
  v?: number;
  name?: string;
  status?: string;
  note?: string;
  blob?: string;
}

let uniqueNumber = 0;
const unique = (prefix: string) => `${prefix}_${++uniqueNumber}`;

describe("MongoDB test server: handshake and commands", () => {
  it("is a replica-set primary the driver connects to, and answers ping, hello and buildInfo", async () => {
    const server = await startServer();
    expect(server.uri).toBe(`mongodb://127.0.0.1:${server.port}/?replicaSet=rs0`);
    const admin = (await connect(server.uri)).db("admin");
    expect(await admin.command({ ping: 1 })).toEqual({ ok: 1 });
    const hello = await admin.command({ hello: 1 });
    expect(hello).toMatchObject({
      isWritablePrimary: true,
      setName: "rs0",
      hosts: [`127.0.0.1:${server.port}`],
      maxWireVersion: 13,
      ok: 1,
    });
    expect(hello).not.toHaveProperty("topologyVersion");
    expect(await admin.command({ buildInfo: 1 })).toMatchObject({ version: "5.0.0", ok: 1 });
    await expect(admin.command({ getMore: Long.fromNumber(123), collection: "c" })).rejects.toMatchObject({
      code: 43,
      codeName: "CursorNotFound",
    });
    await expect(admin.command({ frobnicate: 1 })).rejects.toMatchObject({
      code: 59,
      codeName: "CommandNotFound",
      message: "no such command: 'frobnicate'",
    });
  });

  it("stores documents: insert (duplicate _id fails), update, upsert, replace, delete, find", async () => {
    const server = await startServer({ replicaSet: "other" });
    const items = (await connect(server.uri)).db("shop").collection<Doc>("items");
    await items.insertMany([
      { _id: 1, name: "a", n: 1 },
      { _id: 2, name: "b", n: 2 },
    ]);
    await expect(items.insertOne({ _id: 1 })).rejects.toMatchObject({ code: 11000 });
    expect(await items.updateOne({ _id: 1 }, { $set: { name: "A" }, $inc: { n: 10 } })).toMatchObject({
      matchedCount: 1,
      modifiedCount: 1,
    });
    expect(await items.updateOne({ _id: 2 }, { $set: { name: "b" } })).toMatchObject({ modifiedCount: 0 });
    expect(await items.updateOne({ _id: 3 }, { $set: { name: "c" } }, { upsert: true })).toMatchObject({
      upsertedId: 3,
    });
    await items.replaceOne({ _id: 2 }, { name: "B" });
    await items.deleteOne({ _id: 3 });
    const inserted = await items.insertOne({ name: "generated id" });
    expect(await items.find().toArray()).toEqual([
      { _id: 1, name: "A", n: 11 },
      { _id: 2, name: "B" },
      { _id: inserted.insertedId, name: "generated id" },
    ]);
    expect(await items.findOne({ name: "B" })).toEqual({ _id: 2, name: "B" });
    expect(await items.deleteMany({})).toMatchObject({ deletedCount: 3 });
    // 2 inserts, 1 update, 1 upsert, 1 replace, 1 delete, 1 insert, 3 deletes; a no-op update records nothing.
    expect(server.eventCount).toBe(10);
    await expect(items.find({ n: { $gt: 1 } }).toArray()).rejects.toMatchObject({ codeName: "BadValue" });
  });

  it("frames OP_QUERY and OP_MSG: in pieces, together, with a checksum, a document sequence, moreToCome", async () => {
    const server = await startServer();
    const socket = connectTcp(server.port, "127.0.0.1");
    const replies: Document[] = [];
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const length = pending.readInt32LE(0);
        const opCode = pending.readInt32LE(12);
        // OP_REPLY's document follows flags, cursorID, startingFrom, numberReturned; OP_MSG's, flagBits and kind 0.
        const body = BSON.deserialize(pending.subarray(opCode === 1 ? 36 : 21, length));
        replies.push({ opCode, responseTo: pending.readInt32LE(8), ...body });
        pending = pending.subarray(length);
      }
    });
    await new Promise((resolve) => socket.once("connect", resolve));

    socket.write(opQuery(1, "admin.$cmd", { isMaster: 1 }));
    const ping = opMsg(2, { ping: 1, $db: "admin" });
    for (const byte of ping) socket.write(Buffer.from([byte])); // one byte per write
    socket.write(
      Buffer.concat([opMsg(3, { ping: 1, $db: "admin" }, 1), opMsg(4, { ping: 1, $db: "admin" })]),
    );
    const documents = [{ _id: "x" }, { _id: "y" }].map((doc) => BSON.serialize(doc));
    socket.write(opMsg(5, { insert: "raw", $db: "t" }, 2, { documents }));
    socket.write(opMsg(6, { find: "raw", $db: "t" }));
    await expect.poll(() => replies.length).toBe(5);
    socket.destroy();
    expect(replies.map((reply) => [reply.opCode, reply.responseTo])).toEqual([
      [1, 1],
      [2013, 2],
      [2013, 3],
      [2013, 4],
      [2013, 6], // none for moreToCome
    ]);
    expect(replies[0]).toMatchObject({ ismaster: true, isWritablePrimary: true, setName: "rs0", ok: 1 });
    expect(replies[4]).toMatchObject({ cursor: { firstBatch: [{ _id: "x" }, { _id: "y" }] }, ok: 1 });
  });
});

/** An OP_QUERY: flags, fullCollectionName, numberToSkip, numberToReturn, query. */
function opQuery(requestId: number, ns: string, query: Document): Buffer {
  const message = Buffer.concat([
    Buffer.alloc(20),
    Buffer.from(`${ns}\0`),
    Buffer.alloc(8),
    BSON.serialize(query),
  ]);
  message.writeInt32LE(message.length, 0);
  message.writeInt32LE(requestId, 4);
  message.writeInt32LE(2004, 12);
  message.writeInt32LE(-1, message.indexOf(0, 20) + 5); // numberToReturn
  return message;
}

/** An OP_MSG: flagBits (1 = checksumPresent: 4 trailing bytes; 2 = moreToCome), a body, document sequences. */
function opMsg(
  requestId: number,
  body: Document,
  flags = 0,
  sequences: Record<string, Uint8Array[]> = {},
): Buffer {
  const sections: Uint8Array[] = [Buffer.from([0]), BSON.serialize(body)];
  for (const [id, docs] of Object.entries(sequences)) {
    const content = Buffer.concat([Buffer.from(`${id}\0`), ...docs]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + content.length);
    sections.push(Buffer.from([1]), size, content);
  }
  if (flags & 1) sections.push(Buffer.alloc(4)); // the checksum, not checked
  const message = Buffer.concat([Buffer.alloc(20), ...sections]);
  message.writeInt32LE(message.length, 0);
  message.writeInt32LE(requestId, 4);
  message.writeInt32LE(2013, 12);
  message.writeUInt32LE(flags, 16);
  return message;
}

describe("MongoDB test server: SCRAM-SHA-256", () => {
  const users = { sluice: "s3cret-pass", other: "x" };

  it("authenticates a user, and refuses a wrong password or an unknown user", async () => {
    const server = await startServer({ users });
    const withUser = (user: string, password: string) => server.uri.replace("//", `//${user}:${password}@`);
    const client = await connect(withUser("sluice", "s3cret-pass"));
    await client.db("d").collection<Doc>("c").insertOne({ _id: 1 });
    expect(await client.db("d").collection<Doc>("c").findOne({ _id: 1 })).toEqual({ _id: 1 });

    const failed = { code: 18, codeName: "AuthenticationFailed", message: "Authentication failed." };
    await expect(connect(withUser("sluice", "wrong"))).rejects.toMatchObject(failed);
    await expect(connect(withUser("nobody", "s3cret-pass"))).rejects.toMatchObject(failed);
  });

  it("lets an unauthenticated connection ping, and nothing else", async () => {
    const server = await startServer({ users });
    const client = await connect(server.uri);
    expect(await client.db("admin").command({ ping: 1 })).toEqual({ ok: 1 });
    await expect(client.db("d").collection<Doc>("c").insertOne({ _id: 1 })).rejects.toMatchObject({
      code: 13,
      codeName: "Unauthorized",
      message: "command insert requires authentication",
    });
  });
});

describe("MongoDB test server: change streams", () => {
  let client: MongoClient;
  beforeAll(async () => {
    client = await connect((await startServer()).uri, { monitorCommands: true });
  });

  it("a collection's stream gets its insert, update, replace and delete events in order", async () => {
    const db = client.db(unique("db"));
    const orders = db.collection<Doc>("orders");
    const stream = await opened(orders.watch<Document, Document>([], streamOptions()));
    await orders.insertOne({ _id: 1, status: "new", n: 1, note: "x" });
    await db.collection<Doc>("other").insertOne({ _id: 1 }); // another collection: not in this stream
    await orders.updateOne({ _id: 1 }, { $set: { status: "paid" }, $inc: { n: 2 }, $unset: { note: "" } });
    await orders.replaceOne({ _id: 1 }, { status: "replaced" });
    await orders.deleteOne({ _id: 1 });

    const [insert, update, replace, remove] = await take(stream, 4);
    const ns = { db: db.databaseName, coll: "orders" };
    expect(insert).toMatchObject({
      operationType: "insert",
      ns,
      documentKey: { _id: 1 },
      fullDocument: { _id: 1, status: "new", n: 1, note: "x" },
    });
    expect(update).toMatchObject({
      operationType: "update",
      ns,
      documentKey: { _id: 1 },
      updateDescription: {
        updatedFields: { status: "paid", n: 3 },
        removedFields: ["note"],
        truncatedArrays: [],
      },
    });
    expect(update).not.toHaveProperty("fullDocument");
    expect(replace).toMatchObject({ operationType: "replace", fullDocument: { _id: 1, status: "replaced" } });
    expect(remove).toMatchObject({ operationType: "delete", ns, documentKey: { _id: 1 } });
    expect(remove).not.toHaveProperty("fullDocument");

    const events = [insert, update, replace, remove] as Document[];
    for (const event of events) {
      expect(event.clusterTime).toBeInstanceOf(Timestamp);
      expect(event.wallTime).toBeInstanceOf(Date);
    }
    const tokens = events.map((event) => event._id._data as string);
    expect([...tokens].sort()).toEqual(tokens);
    expect(events[3]?.clusterTime.compare(events[0]?.clusterTime)).toBe(1);
    expect(stream.resumeToken).toEqual(remove?._id);
    await stream.close();
  });

  it("a database's stream gets every collection's events; updateLookup adds the current document", async () => {
    const db = client.db(unique("db"));
    const stream = await opened(
      db.watch<Document, Document>([], streamOptions({ fullDocument: "updateLookup" })),
    );
    await db.collection<Doc>("a").insertOne({ _id: "a1", v: 1 });
    await db.collection<Doc>("b").insertOne({ _id: "b1", v: 1 });
    await db.collection<Doc>("a").updateOne({ _id: "a1" }, { $set: { v: 2 } });
    await db.collection<Doc>("a").updateOne({ _id: "a1" }, { $set: { v: 3 } });
    await db.collection<Doc>("b").updateOne({ _id: "b1" }, { $set: { v: 2 } });
    await db.collection<Doc>("b").deleteOne({ _id: "b1" });
    const other = client.db(unique("db"));
    await other.collection<Doc>("a").insertOne({ _id: "elsewhere" }); // another database

    const events = await take(stream, 6);
    expect(events.map((e) => [e.operationType, e.ns.coll, e.documentKey._id])).toEqual([
      ["insert", "a", "a1"],
      ["insert", "b", "b1"],
      ["update", "a", "a1"],
      ["update", "a", "a1"],
      ["update", "b", "b1"],
      ["delete", "b", "b1"],
    ]);
    // The lookup happens when the event is read: both a1 updates show v: 3; b1 is gone by then.
    expect(events[2]?.fullDocument).toEqual({ _id: "a1", v: 3 });
    expect(events[2]?.updateDescription.updatedFields).toEqual({ v: 2 });
    expect(events[3]?.fullDocument).toEqual({ _id: "a1", v: 3 });
    expect(events[4]?.fullDocument).toBeNull();
    await stream.close();

    // A cluster-wide stream (client.watch) sees the other database too.
    const all = client.watch<Document, Document>(
      [],
      streamOptions({ startAtOperationTime: events[0]?.clusterTime }),
    );
    const seen = await take(all, 7);
    expect(seen.map((event) => event.ns.db)).toEqual([...Array(6).fill(db.databaseName), other.databaseName]);
    await all.close();
  });

  it("resumeAfter and startAfter a token, and startAtOperationTime, give exactly the events after", async () => {
    const coll = client.db(unique("db")).collection<Doc>("c");
    const stream = await opened(coll.watch<Document, Document>([], streamOptions()));
    for (let i = 0; i < 5; i++) await coll.insertOne({ _id: i });
    const events = await take(stream, 5);
    await stream.close();
    const ids = (got: Document[]) => got.map((event) => event.documentKey._id);

    for (const option of ["resumeAfter", "startAfter"] as const) {
      const resumed = coll.watch<Document, Document>(
        [],
        streamOptions({ [option]: events[1]?._id as ResumeToken }),
      );
      expect(ids(await take(resumed, 3))).toEqual([2, 3, 4]);
      await resumed.close();
    }
    const fromTime = coll.watch<Document, Document>(
      [],
      streamOptions({ startAtOperationTime: events[3]?.clusterTime }),
    );
    expect(ids(await take(fromTime, 2))).toEqual([3, 4]);
    await coll.insertOne({ _id: 5 });
    expect(ids(await take(fromTime, 1))).toEqual([5]);
    await fromTime.close();
  });

  it("splits batches under 16 MiB, and a ~7 MB document arrives as one event", async () => {
    const coll = client.db(unique("db")).collection<Doc>("big");
    const stream = await opened(coll.watch<Document, Document>([], streamOptions()));
    const batches: number[] = [];
    const onReply = (event: CommandSucceededEvent) => {
      if (event.commandName === "getMore") batches.push((event.reply as Document).cursor.nextBatch.length);
    };
    client.on("commandSucceeded", onReply);
    const blob = "x".repeat(7 * 1024 * 1024);
    await coll.insertMany([0, 1, 2].map((_id) => ({ _id, blob })));
    const events = await take(stream, 3);
    expect(events.map((event) => event.fullDocument.blob.length)).toEqual([
      blob.length,
      blob.length,
      blob.length,
    ]);
    client.off("commandSucceeded", onReply);
    expect(batches.filter((size) => size > 0)).toEqual([2, 1]); // 3 x 7 MB do not fit in one 16 MiB reply
    await stream.close();
  });
});

describe("MongoDB test server: expired history and dropped connections", () => {
  const lost = { code: 286, codeName: "ChangeStreamHistoryLost" };

  /** Counts the aggregates a client sends, to see that the driver does not retry a lost history. */
  function countAggregates(client: MongoClient): () => number {
    let count = 0;
    client.on("commandStarted", (event: CommandStartedEvent) => {
      if (event.commandName === "aggregate") count++;
    });
    return () => count;
  }

  it("fails a resume from before the kept history with 286, through next(), tryNext() and 'error'", async () => {
    const server = await startServer();
    const client = await connect(server.uri, { monitorCommands: true });
    const aggregates = countAggregates(client);
    const coll = client.db("d").collection<Doc>("c");
    const stream = await opened(coll.watch<Document, Document>([], streamOptions()));
    for (let i = 0; i < 4; i++) await coll.insertOne({ _id: i });
    const events = await take(stream, 4);
    await stream.close();
    server.expireHistory(2);
    expect(server.eventCount).toBe(4);

    const from = (token: unknown) =>
      coll.watch<Document, Document>([], streamOptions({ resumeAfter: token as ResumeToken }));
    const error = await from(events[1]?._id)
      .next()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ ...lost, errorLabels: ["NonResumableChangeStreamError"] });
    await expect(from(events[0]?._id).tryNext()).rejects.toMatchObject(lost);
    const emitter = from(events[1]?._id);
    const emitted = new Promise((resolve) => emitter.once("error", resolve));
    emitter.on("change", () => {});
    await expect(emitted).resolves.toMatchObject(lost);
    const byTime = coll.watch<Document, Document>(
      [],
      streamOptions({ startAtOperationTime: events[1]?.clusterTime }),
    );
    await expect(byTime.next()).rejects.toMatchObject(lost);
    expect(aggregates()).toBe(5); // the first stream, then one each: no retries

    // The kept events can still be resumed from.
    const kept = from(events[2]?._id);
    expect((await kept.next()).documentKey).toEqual({ _id: 3 });
    await kept.close();

    // A stream whose unread events expire fails at its next getMore.
    const open = await opened(coll.watch<Document, Document>([], streamOptions()));
    await coll.insertOne({ _id: 10 });
    server.expireHistory();
    await expect(open.next()).rejects.toMatchObject(lost);
    expect(open.closed).toBe(true);
  });

  it("a stream resumes by itself after dropConnections, losing and repeating nothing", async () => {
    const server = await startServer();
    const client = await connect(server.uri, { monitorCommands: true });
    const aggregates = countAggregates(client);
    const writer = (await connect(server.uri)).db("d").collection<Doc>("c");
    const stream = await opened(
      client.db("d").collection<Doc>("c").watch<Document, Document>([], streamOptions()),
    );
    const ids = (got: Document[]) => got.map((event) => event.documentKey._id);

    // Dropped while the stream waits in a getMore, before any event: it resumes from its position.
    const waiting = stream.next();
    await new Promise((resolve) => setTimeout(resolve, 30));
    server.dropConnections();
    await writer.insertOne({ _id: 0 });
    expect((await waiting).documentKey).toEqual({ _id: 0 });

    // Dropped with an event still buffered, then dropped again while waiting.
    await writer.insertMany([1, 2, 3].map((_id) => ({ _id })));
    expect(ids(await take(stream, 2))).toEqual([1, 2]);
    server.dropConnections();
    await writer.insertMany([4, 5].map((_id) => ({ _id })));
    const next = take(stream, 4);
    await new Promise((resolve) => setTimeout(resolve, 30));
    server.dropConnections();
    await writer.insertOne({ _id: 6 });
    expect(ids(await next)).toEqual([3, 4, 5, 6]);

    // Expired history does not matter to a stream resuming from a kept event.
    server.expireHistory(1);
    server.dropConnections();
    await writer.insertOne({ _id: 7 });
    expect(ids(await take(stream, 1))).toEqual([7]);
    expect(await stream.tryNext()).toBeNull();
    await stream.close();
    expect(aggregates()).toBeGreaterThanOrEqual(4); // it did resume: the first aggregate, then one per resume
  });
});
