// Notes each load of this module (one per thread) in LOAD_FILE, so a test can see threads start before any
// invocation reaches them.
import { appendFileSync } from "node:fs";
import { threadId } from "node:worker_threads";

appendFileSync(process.env.LOAD_FILE, `${threadId}\n`);

export async function handler() {
  return { threadId };
}
