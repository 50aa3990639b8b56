// DocumentDB change events in AWS's event shape, and what a mapping's config and secrets make of the cluster.
import { Long, MongoServerError, ObjectId, Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { BrokerConfigError } from "../../../src/sources/broker-config-error.js";
import {
  documentdbEnvelopeBytes,
  documentdbEvent,
  parseToken,
  toChangeRecord,
} from "../../../src/sources/documentdb/change-event.js";
import { documentdbAccess } from "../../../src/sources/documentdb/documentdb-access.js";
import { documentdbProblem } from "../../../src/sources/documentdb/documentdb-errors.js";

const CLUSTER = "arn:aws:rds:us-east-1:000000000000:cluster:docs";
const SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:docdb";
const id = new ObjectId("63eeb6e7d418cd98afb1c1d7");

const insert = {
  _id: { _data: "0163eeb6e7000000090100000009000041e1" },
  operationType: "insert" as const,
  clusterTime: new Timestamp({ t: 1676588775, i: 9 }),
  documentKey: { _id: id },
  fullDocument: { _id: id, anyField: "sampleValue" },
  ns: { db: "test_database", coll: "test_collection" },
};

describe("a DocumentDB change as an event", () => {
  it("is AWS's recorded shape: relaxed Extended JSON under `event`, the batch keyed as AWS keys it", () => {
    const record = toChangeRecord(insert);
    const event = JSON.parse(documentdbEvent(CLUSTER, [record]).text);
    expect(Object.keys(event)).toEqual(["eventSourceArn", "events", "eventSource"]);
    expect(event).toEqual({
      eventSourceArn: CLUSTER,
      events: [
        {
          event: {
            _id: { _data: "0163eeb6e7000000090100000009000041e1" },
            operationType: "insert",
            clusterTime: { $timestamp: { t: 1676588775, i: 9 } },
            documentKey: { _id: { $oid: "63eeb6e7d418cd98afb1c1d7" } },
            fullDocument: { _id: { $oid: "63eeb6e7d418cd98afb1c1d7" }, anyField: "sampleValue" },
            ns: { db: "test_database", coll: "test_collection" },
          },
        },
      ],
      eventSource: "aws:docdb",
    });
    // The cluster time stands for when the change happened: IteratorAge counts from it.
    expect(record.arrivedAt).toBe(1676588775_000);
    // The envelope's bytes and the records' add up to the event's.
    expect(documentdbEnvelopeBytes(CLUSTER) + record.bytes - 1).toBe(
      Buffer.byteLength(documentdbEvent(CLUSTER, [record]).text),
    );
  });

  it("keeps dates, large integers and update descriptions as MongoDB's Java driver writes them", () => {
    const update = {
      ...insert,
      operationType: "update",
      wallTime: new Date("2024-05-01T10:00:00.123Z"),
      updateDescription: {
        updatedFields: {
          at: new Date("2024-05-01T10:00:00Z"),
          big: Long.fromString("9007199254740993"),
          n: 3,
        },
        removedFields: ["old"],
        truncatedArrays: [],
      },
    };
    const record = toChangeRecord(update);
    const { updateDescription } = (record.event.event as { updateDescription: unknown }) ?? {};
    expect(updateDescription).toEqual({
      updatedFields: {
        at: { $date: "2024-05-01T10:00:00Z" },
        big: { $numberLong: "9007199254740993" },
        n: 3,
      },
      removedFields: ["old"],
      truncatedArrays: [],
    });
    expect(record.arrivedAt).toBe(Date.parse("2024-05-01T10:00:00.123Z"));
  });

  it("is identified by its resume token, which a restart resumes after", () => {
    const record = toChangeRecord(insert);
    expect(parseToken(record.id)).toEqual(insert._id);
  });
});

describe("DocumentDB access", () => {
  const config = {
    EventSourceArn: CLUSTER,
    DocumentDBEventSourceConfig: {
      DatabaseName: "shop",
      CollectionName: "orders",
      FullDocument: "UpdateLookup",
    },
    SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: SECRET }],
  };
  const brokers = { [CLUSTER]: { uri: "mongodb://127.0.0.1:27017/?replicaSet=rs0" } };

  it("takes the cluster's uri from brokers and the credentials from the BASIC_AUTH secret", () => {
    expect(
      documentdbAccess(config, { brokers, secrets: { [SECRET]: { username: "u", password: "p" } } }),
    ).toEqual({
      clusterArn: CLUSTER,
      uri: "mongodb://127.0.0.1:27017/?replicaSet=rs0",
      auth: { username: "u", password: "p" },
      database: "shop",
      collection: "orders",
      fullDocument: "updateLookup",
      retentionMs: 10_800_000,
    });
    const whole = documentdbAccess(
      { EventSourceArn: CLUSTER, DocumentDBEventSourceConfig: { DatabaseName: "shop" } },
      { brokers: { [CLUSTER]: { ...brokers[CLUSTER], changeStreamRetentionSeconds: 60 } }, secrets: {} },
    );
    expect(whole).toMatchObject({
      auth: undefined,
      collection: undefined,
      fullDocument: "default",
      retentionMs: 60_000,
    });
  });

  it("is a configuration error when the cluster or the secret is not in the config file", () => {
    expect(() => documentdbAccess(config, { brokers: {}, secrets: {} })).toThrow(
      /cluster arn:aws:rds:.*:cluster:docs is not in the config file's brokers/,
    );
    expect(() => documentdbAccess(config, { brokers, secrets: {} })).toThrow(BrokerConfigError);
    expect(documentdbProblem(new BrokerConfigError("x"))).toEqual({
      reason: "x",
      code: "ESM_CONFIG_NOT_VALID",
    });
  });
});

describe("DocumentDB errors", () => {
  const server = (code: number, errmsg: string) => new MongoServerError({ code, errmsg, ok: 0 });

  it("report authentication and authorization with Lambda's codes, and expired history as final", () => {
    expect(documentdbProblem(server(18, "Authentication failed."))).toEqual({
      reason: "DocumentDB authentication failed",
      code: "EVENT_SOURCE_AUTHN_ERROR",
    });
    expect(documentdbProblem(new Error("connection failed", { cause: server(18, "x") })).code).toBe(
      "EVENT_SOURCE_AUTHN_ERROR",
    );
    expect(documentdbProblem(server(13, "not authorized on shop")).code).toBe("EVENT_SOURCE_AUTHZ_ERROR");
    for (const code of [136, 280, 286]) expect(documentdbProblem(server(code, "gone")).expired).toBe(true);
    expect(documentdbProblem(new Error("connect ECONNREFUSED"))).toEqual({
      reason: "DocumentDB error: connect ECONNREFUSED",
    });
  });
});
