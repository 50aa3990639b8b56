/** The AWS-recorded cases and payloads the project's tests must match, kept beside the repository. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export const CONFORMANCE_DIR = resolve(import.meta.dirname, "../../../shared/conformance");

/** A conformance file's text. */
export const conformanceText = (file: string) => readFileSync(resolve(CONFORMANCE_DIR, file), "utf8");

/** aws-recorded-payloads.json: invocation payloads, on-failure records and responses AWS sent. */
// biome-ignore lint/suspicious/noExplicitAny: a recording's shape is whatever AWS sent; each test reads its part.
export const recordedPayloads: any = JSON.parse(conformanceText("aws-recorded-payloads.json"));
