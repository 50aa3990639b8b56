/**
 * Where a `handler` setting points. Lambda's form is `<module path>.<export>`: the module is the last path
 * segment up to its first dot, and the rest is the export, dotted for a nested one (`index.handlers.orders`).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The extensions tried for the module, in the order Lambda's Node runtime tries them. */
const MODULE_EXTENSIONS = [".js", ".mjs", ".cjs"];

export interface HandlerLocation {
  /** The module's file URL; when no file matches, the path without extension, so the import names it. */
  moduleUrl: string;
  exportPath: string[];
}

export function locateHandler(handler: string, baseDir: string): HandlerLocation {
  const slash = handler.lastIndexOf("/");
  const [module = "", ...exportPath] = handler.slice(slash + 1).split(".");
  const base = resolve(baseDir, handler.slice(0, slash + 1), module);
  const file = MODULE_EXTENSIONS.map((extension) => base + extension).find((path) => existsSync(path));
  return { moduleUrl: pathToFileURL(file ?? base).href, exportPath };
}
