import { describe, expect, it } from "vitest";
import { sqsConcurrency } from "../../src/runtime/workers.js";

describe("SQS poller bounds", () => {
  it("follow AWS's automatic scaling: 5 at start, at most 1,250, 2 when idle", () => {
    expect(sqsConcurrency({ BatchSize: 10 })).toEqual({ initial: 5, max: 1250, idle: 2 });
  });

  it("never exceed MaximumConcurrency, and keep 5 when idle once it is set, as AWS does", () => {
    expect(sqsConcurrency({ BatchSize: 10, ScalingConfig: { MaximumConcurrency: 3 } })).toEqual({
      initial: 5,
      max: 3,
      idle: 5,
    });
  });

  it("follow ProvisionedPollerConfig's minimum and maximum", () => {
    expect(
      sqsConcurrency({ BatchSize: 10, ProvisionedPollerConfig: { MinimumPollers: 4, MaximumPollers: 40 } }),
    ).toEqual({
      initial: 4,
      max: 40,
      idle: 4,
    });
  });
});
