import { describe, expect, it } from "vitest";
import { eventText, JsonEvent, sizedJson } from "../../src/pipeline/payload-size.js";
import { recordsEvent, type SourceRecord } from "../../src/sources/source.js";

const record = (event: Record<string, unknown>, keepJson: boolean): SourceRecord => ({
  id: String(event.id),
  event,
  arrivedAt: 0,
  ...(keepJson ? sizedJson(event) : { bytes: 1 }),
});

const events = [
  { id: 1, body: 'quote " and é' },
  { id: 2, nested: { list: [1, null, true] } },
];

describe("a batch's event", () => {
  it("is joined from the records' kept JSON, and reads as the same JSON as the object form", () => {
    const joined = recordsEvent(events.map((e) => record(e, true)));
    expect(joined).toBeInstanceOf(JsonEvent);
    expect(eventText(joined)).toBe(JSON.stringify({ Records: events }));
    expect(JSON.stringify(joined)).toBe(JSON.stringify({ Records: events }));
  });

  it("falls back to the object form when a record kept no JSON", () => {
    const event = recordsEvent([
      record(events[0] as Record<string, unknown>, true),
      record(events[1] as Record<string, unknown>, false),
    ]);
    expect(event).toEqual({ Records: events });
    expect(eventText(event)).toBe(JSON.stringify({ Records: events }));
  });
});
