// Callback-style handlers, in a CommonJS module as older Lambda functions are written.
exports.handler = (event, _context, callback) => {
  setImmediate(() => callback(null, { received: event }));
};

exports.failing = (_event, _context, callback) => {
  setImmediate(() => callback(new Error("payment declined")));
};
