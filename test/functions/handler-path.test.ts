import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { locateHandler } from "../../src/functions/handler/handler-path.js";

const HANDLERS = join(import.meta.dirname, "handlers");
const url = (path: string) => pathToFileURL(path).href;

describe("locating a handler setting", () => {
  it("takes the module from the last path segment up to its first dot, and the export from the rest", () => {
    expect(locateHandler("./callback.handler", HANDLERS)).toEqual({
      moduleUrl: url(join(HANDLERS, "callback.cjs")),
      exportPath: ["handler"],
    });
    expect(locateHandler("handlers/lambda.nested.handlers.orders", import.meta.dirname)).toEqual({
      moduleUrl: url(join(HANDLERS, "lambda.mjs")),
      exportPath: ["nested", "handlers", "orders"],
    });
  });

  it("leaves the path without an extension when no module file exists, so the import error names it", () => {
    expect(locateHandler("../nowhere/orders.handler", HANDLERS).moduleUrl).toBe(
      url(join(import.meta.dirname, "nowhere", "orders")),
    );
  });
});
