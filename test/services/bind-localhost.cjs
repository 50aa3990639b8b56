// Preloaded with `node --require` into emulators that listen on all
// interfaces (kinesis-local has no host option) so that every TCP listener
// binds to loopback only. Override with SLUICE_SERVICES_BIND.
"use strict";
const net = require("node:net");

const HOST = process.env.SLUICE_SERVICES_BIND || "127.0.0.1";
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (first !== null && typeof first === "object" && first.path === undefined && first.port !== undefined) {
    args[0] = { ...first, host: HOST };
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    const last = args[args.length - 1];
    const options = { port: Number(first), host: HOST };
    args = typeof last === "function" ? [options, last] : [options];
  }
  return listen.apply(this, args);
};
