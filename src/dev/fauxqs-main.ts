/**
 * Runs fauxqs (SQS, SNS and S3) on 127.0.0.1:$PORT for `sluice dev`. Not fauxqs's own CLI: that listens on every
 * interface and hands out queue URLs on hosts that do not resolve. With an empty store host, queue URLs name the
 * host the request came to (the dev endpoint), so SDKs keep sending queue calls there.
 */
import { buildApp } from "fauxqs";

// The store is not exported by name; fauxqs takes an empty host only on a store it is given.
const { SqsStore } = await import(new URL("sqs/sqsStore.js", import.meta.resolve("fauxqs")).href);
const sqsStore = new SqsStore();
sqsStore.host = "";
const app = buildApp({ logger: false, stores: { sqsStore } as never });
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
