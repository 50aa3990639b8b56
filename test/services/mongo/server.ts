// A small in-process MongoDB server for the tests of the DocumentDB change-stream source, spoken to by the real
// `mongodb` driver: a one-member replica set (MongoDB / DocumentDB 5.0 wire version) with SCRAM-SHA-256,
// in-memory collections (insert, update, delete, find on equality filters) and change streams.
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { Binary, type Document, Long, ObjectId, Timestamp } from "mongodb";
import {
  type ChangeCursor,
  ChangeLog,
  type ChangeRecord,
  CommandError,
  eventToken,
  positionToken,
} from "./change-stream.js";
import {
  applyUpdate,
  compileFilter,
  describeUpdate,
  sameDocument,
  unsupported,
  valueKey,
} from "./documents.js";
import { type Credential, makeCredential, ScramConversation } from "./scram.js";
import { encodeReply, MAX_MESSAGE_SIZE, MessageReader, parseRequest, type Request } from "./wire.js";

export interface MongoTestServerOptions {
  /** username -> password. When set, every command except the handshake (hello/isMaster), saslStart, saslContinue and ping needs SCRAM-SHA-256 authentication on the connection. */
  users?: Record<string, string>;
  /** Replica set name reported by hello; default "rs0". */
  replicaSet?: string;
}

export interface MongoTestServer {
  /** e.g. mongodb://127.0.0.1:40123/?replicaSet=rs0 (no credentials in it) */
  readonly uri: string;
  readonly port: number;
  /** Change events recorded so far (all namespaces), expired ones included. */
  readonly eventCount: number;
  /** Forgets all change events but the newest `keep` (default 0), as an oplog / change-stream log that rolled over: a change stream resuming from a token or an operation time before the oldest kept event then fails with code 286 ChangeStreamHistoryLost. */
  expireHistory(keep?: number): void;
  /** Destroys every open client connection (as a failover or network drop would); the server keeps listening. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 at a random port. */
export async function startMongoServer(options: MongoTestServerOptions = {}): Promise<MongoTestServer> {
  const server = new TestServer(options);
  await server.listen();
  return server;
}

const MAX_BSON_SIZE = 16 * 1024 * 1024;
/** One primary, never re-elected. */
const ELECTION_ID = new ObjectId("7fffffff0000000000000001");
/** What a connection may run before it authenticates. */
const OPEN_COMMANDS = new Set(["hello", "isMaster", "ismaster", "saslStart", "saslContinue", "ping"]);
/** How long a getMore on a change stream waits for events without maxTimeMS, as in MongoDB. */
const DEFAULT_AWAIT_MS = 1000;
/** An aggregate's first batch without cursor.batchSize, as in MongoDB. */
const DEFAULT_FIRST_BATCH = 101;

interface Connection {
  id: number;
  socket: Socket;
  reader: MessageReader;
  /** The connection's commands, one after the other: a getMore may wait, and replies keep request order. */
  queue: Promise<void>;
  authenticated: boolean;
  scram: ScramConversation | undefined;
  /** Ids of the cursors opened on it: closing the connection kills them. */
  cursors: Set<number>;
  /** Aborts when the socket closes, ending a getMore's wait. */
  closed: AbortController;
}

/** valueKey(_id) -> document */
type Collection = Map<string, Document>;
type Handler = (conn: Connection, command: Document, db: string) => Document | Promise<Document>;

const authFailed = () => new CommandError(18, "AuthenticationFailed", "Authentication failed.");

function payloadText(payload: unknown): string {
  return payload instanceof Binary ? payload.toString("utf8") : "";
}

function collectionName(value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new CommandError(73, "InvalidNamespace", `Invalid collection name: ${String(value)}`);
  }
  return value;
}

class TestServer implements MongoTestServer {
  uri = "";
  port = 0;
  private readonly server: Server = createServer((socket) => this.accept(socket));
  private readonly replicaSet: string;
  private readonly users: Map<string, Credential> | undefined;
  private readonly connections = new Set<Connection>();
  private readonly databases = new Map<string, Map<string, Collection>>();
  private readonly log = new ChangeLog();
  private readonly cursors = new Map<number, ChangeCursor>();
  private lastConnectionId = 0;
  private lastCursorId = 0;
  private lastRequestId = 0;
  private readonly handlers = new Map<string, Handler>([
    ["hello", (conn, command) => this.hello(conn, command)],
    ["isMaster", (conn, command) => this.hello(conn, command)],
    ["ismaster", (conn, command) => this.hello(conn, command)],
    ["saslStart", (conn, command) => this.saslStart(conn, command)],
    ["saslContinue", (conn, command) => this.saslContinue(conn, command)],
    ["ping", () => ({})],
    [
      "buildInfo",
      () => ({ version: "5.0.0", versionArray: [5, 0, 0, 0], bits: 64, maxBsonObjectSize: MAX_BSON_SIZE }),
    ],
    ["endSessions", () => ({})],
    ["insert", (_conn, command, db) => this.insert(command, db)],
    ["update", (_conn, command, db) => this.update(command, db)],
    ["delete", (_conn, command, db) => this.delete(command, db)],
    ["find", (_conn, command, db) => this.find(command, db)],
    ["drop", (_conn, command, db) => this.drop(command, db)],
    ["aggregate", (conn, command, db) => this.aggregate(conn, command, db)],
    ["getMore", (conn, command) => this.getMore(conn, command)],
    ["killCursors", (_conn, command) => this.killCursors(command)],
  ]);

  constructor(options: MongoTestServerOptions) {
    this.replicaSet = options.replicaSet ?? "rs0";
    const users = Object.entries(options.users ?? {});
    this.users = options.users && new Map(users.map(([user, password]) => [user, makeCredential(password)]));
  }

  get eventCount(): number {
    return this.log.count;
  }

  expireHistory(keep = 0): void {
    this.log.expire(keep);
  }

  dropConnections(): void {
    for (const conn of this.connections) conn.socket.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", resolve);
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.uri = `mongodb://${this.host}/?replicaSet=${encodeURIComponent(this.replicaSet)}`;
  }

  private get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  private accept(socket: Socket): void {
    const conn: Connection = {
      id: ++this.lastConnectionId,
      socket,
      reader: new MessageReader(),
      queue: Promise.resolve(),
      authenticated: false,
      scram: undefined,
      cursors: new Set(),
      closed: new AbortController(),
    };
    this.connections.add(conn);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = conn.reader.push(chunk);
      } catch {
        socket.destroy(); // not a MongoDB client
        return;
      }
      for (const message of messages) conn.queue = conn.queue.then(() => this.respond(conn, message));
    });
    socket.on("error", () => {}); // a client going away mid-reply is normal here; "close" follows
    socket.on("close", () => {
      this.connections.delete(conn);
      conn.closed.abort();
      for (const id of conn.cursors) this.cursors.delete(id);
    });
  }

  private async respond(conn: Connection, message: Buffer): Promise<void> {
    try {
      const request = parseRequest(message);
      if (!request) throw new Error("unsupported opCode");
      const reply = await this.run(conn, request);
      if (request.moreToCome || conn.socket.destroyed) return;
      conn.socket.write(encodeReply(request, ++this.lastRequestId, reply));
    } catch {
      conn.socket.destroy(); // a malformed message: the client sees a network error
    }
  }

  private async run(conn: Connection, { command, db }: Request): Promise<Document> {
    const name = Object.keys(command)[0] ?? "";
    try {
      if (this.users && !conn.authenticated && !OPEN_COMMANDS.has(name)) {
        throw new CommandError(13, "Unauthorized", `command ${name} requires authentication`);
      }
      const handler = this.handlers.get(name);
      if (!handler) throw new CommandError(59, "CommandNotFound", `no such command: '${name}'`);
      return { ...(await handler(conn, command, db)), ok: 1 };
    } catch (error) {
      if (!(error instanceof CommandError)) {
        return { ok: 0, errmsg: `test server bug: ${String(error)}`, code: 1, codeName: "InternalError" };
      }
      const { message: errmsg, code, codeName, errorLabels } = error;
      return { ok: 0, errmsg, code, codeName, errorLabels };
    }
  }

  // No topologyVersion: it would switch the driver's monitor to streaming (awaitable) hello, not needed here.
  // speculativeAuthenticate is not answered, so the driver authenticates with saslStart/saslContinue.
  private hello(conn: Connection, command: Document): Document {
    const asked = command.saslSupportedMechs; // "<db>.<user>"
    const user = typeof asked === "string" ? asked.slice(asked.indexOf(".") + 1) : undefined;
    return {
      helloOk: command.helloOk === true ? true : undefined,
      ismaster: command.hello === undefined ? true : undefined,
      isWritablePrimary: true,
      secondary: false,
      setName: this.replicaSet,
      setVersion: 1,
      electionId: ELECTION_ID,
      hosts: [this.host],
      primary: this.host,
      me: this.host,
      maxBsonObjectSize: MAX_BSON_SIZE,
      maxMessageSizeBytes: MAX_MESSAGE_SIZE,
      maxWriteBatchSize: 100_000,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: conn.id,
      minWireVersion: 0,
      maxWireVersion: 13,
      readOnly: false,
      // Only for a known user, as MongoDB: for anyone else the driver falls back to SCRAM-SHA-1, which fails.
      saslSupportedMechs: user !== undefined && this.users?.has(user) ? ["SCRAM-SHA-256"] : undefined,
    };
  }

  private saslStart(conn: Connection, command: Document): Document {
    const scram =
      command.mechanism === "SCRAM-SHA-256" && this.users
        ? ScramConversation.start(payloadText(command.payload), this.users)
        : undefined;
    if (!scram) throw authFailed();
    conn.scram = scram;
    return { conversationId: 1, done: false, payload: new Binary(Buffer.from(scram.serverFirst)) };
  }

  private saslContinue(conn: Connection, command: Document): Document {
    const serverFinal = conn.scram?.finish(payloadText(command.payload));
    conn.scram = undefined;
    if (!serverFinal) throw authFailed();
    conn.authenticated = true;
    // done: true at once saves the driver the empty third round trip.
    return { conversationId: 1, done: true, payload: new Binary(Buffer.from(serverFinal)) };
  }

  private collection(db: string, name: string): Collection {
    const collections = this.databases.get(db) ?? new Map<string, Collection>();
    this.databases.set(db, collections);
    const collection = collections.get(name) ?? new Map<string, Document>();
    collections.set(name, collection);
    return collection;
  }

  /** Runs a write command's statements in order; a failing one becomes a writeError and, if ordered, the last. */
  private writeBatch(
    command: Document,
    field: string,
    apply: (statement: Document, index: number) => void,
  ): Document {
    const statements: Document[] = Array.isArray(command[field]) ? command[field] : [];
    const writeErrors: Document[] = [];
    for (const [index, statement] of statements.entries()) {
      try {
        apply(statement, index);
      } catch (error) {
        if (!(error instanceof CommandError)) throw error;
        writeErrors.push({ index, code: error.code, errmsg: error.message, ...error.details });
        if (command.ordered !== false) break;
      }
    }
    return { writeErrors: writeErrors.length > 0 ? writeErrors : undefined };
  }

  /** Stores a new document (with an ObjectId _id if it has none) and records its insert event. */
  private store(db: string, name: string, doc: Document): unknown {
    const { _id = new ObjectId(), ...fields } = doc;
    const stored = { _id, ...fields };
    const collection = this.collection(db, name);
    const key = valueKey(_id);
    if (collection.has(key)) {
      const message = `E11000 duplicate key error collection: ${db}.${name} index: _id_ dup key: { _id: ${JSON.stringify(_id)} }`;
      throw new CommandError(11000, "DuplicateKey", message, undefined, {
        keyPattern: { _id: 1 },
        keyValue: { _id },
      });
    }
    collection.set(key, stored);
    this.log.record({ db, coll: name, operationType: "insert", documentKey: { _id }, fullDocument: stored });
    return _id;
  }

  private insert(command: Document, db: string): Document {
    const name = collectionName(command.insert);
    this.collection(db, name);
    let n = 0;
    const result = this.writeBatch(command, "documents", (doc) => {
      this.store(db, name, doc);
      n++;
    });
    return { n, ...result };
  }

  private update(command: Document, db: string): Document {
    const name = collectionName(command.update);
    const collection = this.collection(db, name);
    let n = 0;
    let nModified = 0;
    const upserted: Document[] = [];
    const result = this.writeBatch(command, "updates", (statement, index) => {
      const targets = [...collection.values()].filter(compileFilter(statement.q));
      if (targets.length === 0 && statement.upsert === true) {
        // The new document: the filter's fields, updated (a replacement keeps only the filter's _id).
        upserted.push({ index, _id: this.store(db, name, applyUpdate({ ...statement.q }, statement.u).doc) });
        n++;
      }
      for (const old of statement.multi === true ? targets : targets.slice(0, 1)) {
        const { doc, replaced } = applyUpdate(old, statement.u);
        n++;
        if (sameDocument(old, doc)) continue; // MongoDB writes no oplog entry, so no event
        nModified++;
        collection.set(valueKey(doc._id), doc);
        const documentKey = { _id: doc._id };
        this.log.record(
          replaced
            ? { db, coll: name, operationType: "replace", documentKey, fullDocument: doc }
            : {
                db,
                coll: name,
                operationType: "update",
                documentKey,
                updateDescription: describeUpdate(old, doc),
              },
        );
      }
    });
    return { n, nModified, upserted: upserted.length > 0 ? upserted : undefined, ...result };
  }

  private delete(command: Document, db: string): Document {
    const name = collectionName(command.delete);
    const collection = this.collection(db, name);
    let n = 0;
    const result = this.writeBatch(command, "deletes", (statement) => {
      const targets = [...collection.values()].filter(compileFilter(statement.q));
      for (const doc of Number(statement.limit) === 1 ? targets.slice(0, 1) : targets) {
        collection.delete(valueKey(doc._id));
        n++;
        this.log.record({ db, coll: name, operationType: "delete", documentKey: { _id: doc._id } });
      }
    });
    return { n, ...result };
  }

  /** All matching documents in the first batch, so there is never a cursor to continue. */
  private find(command: Document, db: string): Document {
    const name = collectionName(command.find);
    const match = compileFilter(command.filter);
    const docs = [...(this.databases.get(db)?.get(name)?.values() ?? [])].filter(match);
    const limit = Math.abs(Number(command.limit ?? 0));
    return {
      cursor: { firstBatch: limit > 0 ? docs.slice(0, limit) : docs, id: Long.ZERO, ns: `${db}.${name}` },
    };
  }

  /** Drops the documents; records no drop / invalidate event. */
  private drop(command: Document, db: string): Document {
    const name = collectionName(command.drop);
    if (!this.databases.get(db)?.delete(name))
      throw new CommandError(26, "NamespaceNotFound", "ns not found");
    return { nIndexesWas: 1, ns: `${db}.${name}` };
  }

  /** Only change streams: a pipeline of one $changeStream stage, on a collection, a database (aggregate: 1)
   * or the cluster (aggregate: 1 on admin with allChangesForCluster). */
  private aggregate(conn: Connection, command: Document, db: string): Document {
    const pipeline: unknown[] = Array.isArray(command.pipeline) ? command.pipeline : [];
    const stage = (pipeline[0] as Document | undefined)?.$changeStream as Document | undefined;
    if (typeof stage !== "object" || stage === null || pipeline.length !== 1) {
      throw unsupported("an aggregation other than a lone $changeStream stage");
    }
    const coll = typeof command.aggregate === "string" ? command.aggregate : undefined;
    const byToken = stage.resumeAfter !== undefined || stage.startAfter !== undefined;
    const cursor: ChangeCursor = {
      id: ++this.lastCursorId,
      ns: `${db}.${coll ?? "$cmd.aggregate"}`,
      db: coll === undefined && stage.allChangesForCluster === true ? undefined : db,
      coll,
      updateLookup: stage.fullDocument === "updateLookup",
      from:
        !byToken && stage.startAtOperationTime instanceof Timestamp ? stage.startAtOperationTime : undefined,
      after: this.log.startPosition(stage),
    };
    this.cursors.set(cursor.id, cursor);
    conn.cursors.add(cursor.id);
    // The driver resumes from operationTime while the stream has seen no event: it must be after every
    // event before the stream and at or before every one after.
    const operationTime = this.log.nextTime();
    const limit = Number((command.cursor as Document | undefined)?.batchSize ?? DEFAULT_FIRST_BATCH);
    return { cursor: this.cursorReply(cursor, "firstBatch", this.read(cursor, limit)), operationTime };
  }

  /** A change stream's getMore waits up to maxTimeMS for an event: woken by writes, never polling. */
  private async getMore(conn: Connection, command: Document): Promise<Document> {
    const id = Number(command.getMore);
    const cursor = this.cursors.get(id);
    if (!cursor) throw new CommandError(43, "CursorNotFound", `cursor id ${id} not found`);
    const limit = Number(command.batchSize ?? 0) || Number.POSITIVE_INFINITY;
    const deadline = Date.now() + Number(command.maxTimeMS ?? DEFAULT_AWAIT_MS);
    let events = this.read(cursor, limit);
    while (events.length === 0 && Date.now() < deadline && !conn.closed.signal.aborted) {
      await this.log.waitForEvent(deadline - Date.now(), conn.closed.signal);
      if (!this.cursors.has(id)) throw new CommandError(237, "CursorKilled", `cursor id ${id} was killed`);
      events = this.read(cursor, limit);
    }
    return { cursor: this.cursorReply(cursor, "nextBatch", events) };
  }

  private killCursors(command: Document): Document {
    const cursorsKilled: unknown[] = [];
    const cursorsNotFound: unknown[] = [];
    for (const id of Array.isArray(command.cursors) ? command.cursors : []) {
      (this.killCursor(Number(id)) ? cursorsKilled : cursorsNotFound).push(id);
    }
    return { cursorsKilled, cursorsNotFound, cursorsAlive: [], cursorsUnknown: [] };
  }

  private killCursor(id: number): boolean {
    for (const conn of this.connections) conn.cursors.delete(id);
    return this.cursors.delete(id);
  }

  /** The cursor's next events; a cursor whose history is lost is killed, as MongoDB does. */
  private read(cursor: ChangeCursor, limit: number): Document[] {
    try {
      return this.log.read(cursor, limit, (record) => this.changeEvent(cursor, record));
    } catch (error) {
      this.killCursor(cursor.id);
      throw error;
    }
  }

  private cursorReply(cursor: ChangeCursor, field: "firstBatch" | "nextBatch", events: Document[]): Document {
    const last = events.at(-1);
    const postBatchResumeToken = last ? last._id : positionToken(cursor.after);
    return { [field]: events, postBatchResumeToken, id: Long.fromNumber(cursor.id), ns: cursor.ns };
  }

  private changeEvent(cursor: ChangeCursor, record: ChangeRecord): Document {
    const { seq, operationType, clusterTime, wallTime, db, coll, documentKey, updateDescription } = record;
    // updateLookup reads the document as it is now, not as the update left it; null once it is gone.
    const lookup = () => this.databases.get(db)?.get(coll)?.get(valueKey(documentKey._id)) ?? null;
    const fullDocument =
      operationType !== "update" ? record.fullDocument : cursor.updateLookup ? lookup() : undefined;
    const ns = { db, coll };
    return {
      _id: eventToken(seq),
      operationType,
      clusterTime,
      wallTime,
      fullDocument,
      ns,
      documentKey,
      updateDescription,
    };
  }
}
