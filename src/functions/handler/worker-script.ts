/**
 * The script a handler's worker thread runs. Built, it is worker.js beside this module. Run from the TypeScript
 * sources (as under vitest), Node 20 cannot load worker.ts in a thread, so it is transpiled once, with the
 * typescript devDependency, into a data: URL; that is why worker.ts imports nothing but Node's built-ins.
 */
import { readFile } from "node:fs/promises";

let script: Promise<URL> | undefined;

export function workerScript(): Promise<URL> {
  script ??= import.meta.url.endsWith(".ts")
    ? transpiled(new URL("./worker.ts", import.meta.url))
    : Promise.resolve(new URL("./worker.js", import.meta.url));
  return script;
}

async function transpiled(source: URL): Promise<URL> {
  const { default: ts } = await import("typescript");
  const { outputText } = ts.transpileModule(await readFile(source, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  // Named after its source, so stack traces show worker.ts rather than the whole data: URL.
  const named = `${outputText}\n//# sourceURL=${source.href}\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(named)}`);
}
