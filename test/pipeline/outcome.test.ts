/**
 * Partial batch responses and invocation outcomes. The "AWS-recorded" cases are the responses LocalStack's
 * AWS-validated Kinesis and DynamoDB tests return from the function (reference/localstack-esm-notes.md §3(f));
 * the rest follow the AWS docs, or Sluice's decisions where AWS is silent (each says so).
 */
import { describe, expect, it } from "vitest";
import {
  decideOutcome,
  INVALID_BATCH_ITEM_FAILURES,
  identifyKafkaItem,
  type Outcome,
  parseBatchItemFailures,
} from "../../src/pipeline/outcome.js";

const batchIds = new Set(["49590338271490256608559692538361571095921575989136588898", "2", "3"]);
const seq = [...batchIds][0] as string;

const parse = (payload: unknown) => parseBatchItemFailures(payload, batchIds);

/** Asserts the whole batch failed and returns the reason. */
function refused(payload: unknown, ids: ReadonlySet<string> = batchIds, identify?: typeof identifyKafkaItem) {
  const result = parseBatchItemFailures(payload, ids, identify);
  if (result.ok)
    throw new Error(`accepted ${JSON.stringify(payload)} as ${JSON.stringify(result.failedIds)}`);
  return result.reason;
}

describe("AWS-recorded success responses", () => {
  const successes: [string, unknown][] = [
    ['""', ""],
    ["[]", []],
    ["null", null],
    ["{}", {}],
    ['{"batchItemFailures": []}', { batchItemFailures: [] }],
    ['{"batchItemFailures": null}', { batchItemFailures: null }],
  ];
  for (const [name, payload] of successes) {
    it(`treats ${name} as complete success`, () => {
      expect(parse(payload)).toEqual({ ok: true, failedIds: [] });
    });
  }

  it("treats no response at all as complete success", () => {
    expect(parse(undefined)).toEqual({ ok: true, failedIds: [] });
  });
});

describe("AWS-recorded failure responses", () => {
  it("fails the batch when an itemIdentifier names no record of it (123)", () => {
    expect(refused({ batchItemFailures: [{ itemIdentifier: 123 }] })).toContain("123");
  });

  it('fails the batch on an empty-string itemIdentifier ("")', () => {
    expect(refused({ batchItemFailures: [{ itemIdentifier: "" }] })).toBe(
      'batchItemFailures[0].itemIdentifier is ""; it must name a record of the batch',
    );
  });

  it("fails the batch on a null itemIdentifier", () => {
    expect(refused({ batchItemFailures: [{ itemIdentifier: null }] })).toContain("is null");
  });

  it('fails the batch on an entry with a wrong key ({"foo": 123})', () => {
    expect(refused({ batchItemFailures: [{ foo: 123 }] })).toBe(
      'batchItemFailures[0] has no itemIdentifier: {"foo":123}',
    );
  });

  it('fails the batch on an entry with a wrong key and a null value ({"foo": null})', () => {
    expect(refused({ batchItemFailures: [{ foo: null }] })).toContain("has no itemIdentifier");
  });
});

describe("partial failures", () => {
  it("returns the failed ids of a well-formed response", () => {
    expect(parse({ batchItemFailures: [{ itemIdentifier: "3" }, { itemIdentifier: seq }] })).toEqual({
      ok: true,
      failedIds: ["3", seq],
    });
  });

  it("counts a repeated identifier once, keeping the order reported", () => {
    const payload = {
      batchItemFailures: [{ itemIdentifier: "2" }, { itemIdentifier: "3" }, { itemIdentifier: "2" }],
    };
    expect(parse(payload)).toEqual({ ok: true, failedIds: ["2", "3"] });
  });

  it("ignores other keys of the response and of its entries", () => {
    const payload = { state: { count: 1 }, batchItemFailures: [{ itemIdentifier: "2", reason: "x" }] };
    expect(parse(payload)).toEqual({ ok: true, failedIds: ["2"] });
  });

  it("fails the batch when any one entry is bad, even after good ones", () => {
    expect(refused({ batchItemFailures: [{ itemIdentifier: "2" }, { itemIdentifier: "nope" }] })).toBe(
      'batchItemFailures[1].itemIdentifier "nope" names no record of this batch',
    );
  });

  it("fails a streams batch on a sequence number that is not in it (SPEC decision)", () => {
    expect(refused({ batchItemFailures: [{ itemIdentifier: `${seq}1` }] })).toContain("names no record");
  });

  it("fails the batch on a number even when its digits match an id (Sluice decision)", () => {
    expect(refused({ batchItemFailures: [{ itemIdentifier: 2 }] })).toContain("not a valid item identifier");
  });
});

describe("malformed responses (AWS: invalid JSON; the rest Sluice decisions)", () => {
  it("fails the batch on a body that is not JSON (the invokers keep it as text)", () => {
    expect(refused("OK")).toBe('the function\'s response is a string, not an object: "OK"');
  });

  it("fails the batch on a non-empty string, even one holding JSON text, rather than parsing it twice", () => {
    expect(refused("done")).toBe('the function\'s response is a string, not an object: "done"');
    expect(refused(JSON.stringify({ batchItemFailures: [] }))).toContain("is a string");
  });

  it("fails the batch on a number or a boolean", () => {
    expect(refused(0)).toContain("is a number");
    expect(refused(false)).toContain("is a boolean");
  });

  it("fails the batch on a non-empty array", () => {
    expect(refused([{ batchItemFailures: [] }])).toContain("is an array");
  });

  it("fails the batch when batchItemFailures is not an array", () => {
    expect(refused({ batchItemFailures: {} })).toBe("batchItemFailures must be an array, not {}");
    expect(refused({ batchItemFailures: "" })).toContain("must be an array");
    expect(refused({ batchItemFailures: { itemIdentifier: "2" } })).toContain("must be an array");
  });

  it("fails the batch on an entry that is not an object", () => {
    expect(refused({ batchItemFailures: ["2"] })).toContain("batchItemFailures[0] must be an object");
    expect(refused({ batchItemFailures: [null] })).toContain("must be an object");
    expect(refused({ batchItemFailures: [["2"]] })).toContain("must be an object");
  });

  it("shortens a long value in the reason", () => {
    const reason = refused("x".repeat(10_000));
    expect(reason.length).toBeLessThan(200);
    expect(reason.endsWith("...")).toBe(true);
  });
});

describe("Kafka item identifiers", () => {
  const kafkaIds = new Set(["orders-0:100", "orders-1:7"]);
  const parseKafka = (payload: unknown) => parseBatchItemFailures(payload, kafkaIds, identifyKafkaItem);

  it("maps {partition, offset} to the record id <topic>-<partition>:<offset>", () => {
    const payload = { batchItemFailures: [{ itemIdentifier: { partition: "orders-1", offset: 7 } }] };
    expect(parseKafka(payload)).toEqual({ ok: true, failedIds: ["orders-1:7"] });
  });

  it("fails the batch on a partition or offset that was not in the event (AWS)", () => {
    const unknownOffset = { batchItemFailures: [{ itemIdentifier: { partition: "orders-0", offset: 101 } }] };
    const unknownPartition = {
      batchItemFailures: [{ itemIdentifier: { partition: "orders-2", offset: 100 } }],
    };
    expect(refused(unknownOffset, kafkaIds, identifyKafkaItem)).toContain("names no record");
    expect(refused(unknownPartition, kafkaIds, identifyKafkaItem)).toContain("names no record");
  });

  it("fails the batch on a malformed Kafka identifier", () => {
    for (const itemIdentifier of [
      "orders-0:100",
      { partition: "orders", offset: 100 },
      { partition: "orders-0", offset: "100" },
      { partition: "orders-0", offset: 1.5 },
      { partition: "orders-0", offset: -1 },
      { partition: "orders-0" },
    ]) {
      expect(refused({ batchItemFailures: [{ itemIdentifier }] }, kafkaIds, identifyKafkaItem)).toContain(
        "not a valid item identifier",
      );
    }
  });

  it("keeps the success rules for Kafka responses (AWS: empty valid JSON or null)", () => {
    expect(parseKafka(null)).toEqual({ ok: true, failedIds: [] });
    expect(parseKafka({})).toEqual({ ok: true, failedIds: [] });
  });
});

describe("decideOutcome", () => {
  const on = { reportBatchItemFailures: true, batchIds };
  const off = { reportBatchItemFailures: false, batchIds };
  const partialResponse = { batchItemFailures: [{ itemIdentifier: "2" }] };

  it("is success for any returned value when ReportBatchItemFailures is off, batchItemFailures ignored", () => {
    expect(decideOutcome({ ok: true, payload: partialResponse }, off)).toEqual({ kind: "success" });
    expect(decideOutcome({ ok: true, payload: "not a response" }, off)).toEqual({ kind: "success" });
  });

  it("is partial with the failed ids when ReportBatchItemFailures is on", () => {
    expect(decideOutcome({ ok: true, payload: partialResponse }, on)).toEqual({
      kind: "partial",
      failedIds: ["2"],
    });
  });

  it("is success when ReportBatchItemFailures is on and nothing failed", () => {
    expect(decideOutcome({ ok: true, payload: { batchItemFailures: [] } }, on)).toEqual({ kind: "success" });
    expect(decideOutcome({ ok: true }, on)).toEqual({ kind: "success" });
  });

  it("fails the whole batch on a malformed response, with no functionError since the function returned", () => {
    const outcome = decideOutcome({ ok: true, payload: { batchItemFailures: [{ itemIdentifier: "" }] } }, on);
    expect(outcome).toEqual<Outcome>({
      kind: "failed",
      error: {
        errorType: INVALID_BATCH_ITEM_FAILURES,
        errorMessage: 'batchItemFailures[0].itemIdentifier is ""; it must name a record of the batch',
      },
    });
  });

  it("passes a Kafka identify hook through", () => {
    const kafka = {
      reportBatchItemFailures: true,
      batchIds: new Set(["t-0:5"]),
      identify: identifyKafkaItem,
    };
    const payload = { batchItemFailures: [{ itemIdentifier: { partition: "t-0", offset: 5 } }] };
    expect(decideOutcome({ ok: true, payload }, kafka)).toEqual({ kind: "partial", failedIds: ["t-0:5"] });
  });

  it("fails the whole batch on a function error, keeping Lambda's error and X-Amz-Function-Error", () => {
    const error = {
      errorType: "TypeError",
      errorMessage: "boom",
      trace: ["TypeError: boom", "    at handler"],
    };
    for (const options of [on, off]) {
      expect(
        decideOutcome({ ok: false, kind: "function", error, functionError: "Unhandled" }, options),
      ).toEqual({
        kind: "failed",
        error,
        functionError: "Unhandled",
      });
    }
  });

  it("leaves functionError out when the invoker gives none", () => {
    const outcome = decideOutcome(
      { ok: false, kind: "function", error: { errorType: "RangeError", errorMessage: "late" } },
      on,
    );
    expect(outcome).toEqual({ kind: "failed", error: { errorType: "RangeError", errorMessage: "late" } });
    expect("functionError" in outcome).toBe(false);
  });

  it("is an invokeError when the batch never reached the function", () => {
    const error = { errorType: "TooManyRequestsException", errorMessage: "Rate exceeded" };
    expect(decideOutcome({ ok: false, kind: "invoke", error }, on)).toEqual({ kind: "invokeError", error });
  });
});
