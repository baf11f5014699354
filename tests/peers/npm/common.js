// Shared by the interop scripts: the plan every client runs against a DDP server
// with the scenario of tests/peers/meteor/app.js, and the JSON-lines output.
// Usage of each script: node <script>.js http://127.0.0.1:PORT
// Each line on stdout is one JSON object: {"client", "event", ...}; the last is
// {"event": "done"}, or {"event": "fatal", "message"} with exit code 1.
'use strict';

// The calls and subscriptions every client makes, in this order.
exports.ECHO = { when: { $date: 1704164645678 }, nested: { list: [1, 'two', null], flag: true } };
exports.ADD = [20, 22];
exports.ITEMS = 3;
exports.TICKER_MS = 50;

exports.start = function (client) {
  var base = process.argv[2];
  if (!base || !/^http:\/\/[^/]+\/?$/.test(base)) {
    process.stderr.write('usage: node ' + client + '.js http://HOST:PORT\n');
    process.exit(2);
  }
  base = base.replace(/\/$/, '');
  var parsed = new URL(base);
  function emit(event, fields) {
    var line = Object.assign({ client: client, event: event }, fields || {});
    process.stdout.write(JSON.stringify(line) + '\n');
  }
  function fatal(error) {
    emit('fatal', { message: String((error && (error.stack || error.message)) || JSON.stringify(error)) });
    process.exit(1);
  }
  process.on('unhandledRejection', fatal);
  process.on('uncaughtException', fatal);
  // The test also bounds the whole run; this names where a script got stuck.
  var timer = setTimeout(function () { fatal(new Error('timed out after 30 s')); }, 30000);
  return {
    base: base,                                   // http://host:port
    host: parsed.hostname,
    port: Number(parsed.port),
    ws: base.replace(/^http/, 'ws') + '/websocket',
    emit: emit,
    fatal: fatal,
    done: function () { clearTimeout(timer); emit('done'); process.exit(0); },
  };
};

// Meteor.Error as the client library handed it over: only its DDP fields.
exports.errorFields = function (error) {
  return { error: error.error, reason: error.reason, details: error.details };
};

// Documents of a collection, sorted by _id, as plain JSON.
exports.sorted = function (docs) {
  return docs.slice().sort(function (a, b) { return a._id < b._id ? -1 : a._id > b._id ? 1 : 0; });
};
