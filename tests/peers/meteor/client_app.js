// ddp-monitor test scenario "client": Meteor's OWN DDP client (packages/ddp-client's
// DDP.connect, socket-stream-client/node.js underneath, unmodified from the 1.9.3 bundle)
// runs a JSON plan against a target URL and prints what a Meteor app would observe, so
// tests can compare ddp-monitor's DDPClient with it (tests/differential/test_client.py).
// Loaded by launch.js --scenario client like a package file (function(Npm, Assets){...}).
//
// Plan: {"options": {DDP.connect options}, "timeout_ms": N, "steps": [step, ...]}; steps:
//   {"do": "call", "label": L, "name": M, "params": [EJSON...], "wait": b, "noRetry": b}
//   {"do": "subscribe", "label": L, "name": P, "params": [...]}    {"do": "unsubscribe", "label": L}
//   {"do": "disconnect"}   {"do": "reconnect"}   {"do": "sleep", "ms": N}
//   {"do": "await", "match": {event fields}, "count": n}   (until n printed events match)
// Output, one JSON object per line, each with "t" (ms since start, process.hrtime):
//   {"event": "status", status, connected, retryCount, retryTime?, reason?, delay?}
//       at every statusChanged() of the stream (delay = retryTime - Date.now(), ms)
//   {"event": "result_received" | "callback", "label", "error", "result"}
//   {"event": "ready", "label"}   {"event": "stop", "label", "error"}
//   {"event": "done"} after the last step, or {"event": "timeout", "waiting": match}; then
//   the connection is closed (unreported) and the process exits (0 after done).
var Meteor = Package.meteor.Meteor;
var DDP = Package['ddp-client'].DDP;
var EJSON = Package.ejson.EJSON;
var harness = global.__harness_client;
var plan = harness.plan;

var t0 = process.hrtime.bigint();
var printed = [];
var waiter = null;  // {match, count, resume}

function emit(obj) {
  if (harness.finished) return;
  var line = Object.assign({ t: Math.round(Number(process.hrtime.bigint() - t0) / 1e4) / 100 }, obj);
  printed.push(line);
  harness.out(line);
  if (waiter && countMatches(waiter.match) >= waiter.count) {
    var resume = waiter.resume;
    waiter = null;
    // Never inside Meteor's own callback (e.g. statusChanged runs before the reset
    // callbacks that send `connect`): a user's reaction comes later, as Tracker's would.
    Meteor.defer(resume);
  }
}

function countMatches(match) {
  return printed.filter(function (line) {
    return Object.keys(match).every(function (k) { return EJSON.equals(line[k], match[k]); });
  }).length;
}

function errorShape(err) {
  if (!err) return null;
  if (err.errorType === 'Meteor.Error') {
    var shape = { errorType: 'Meteor.Error', error: err.error, reason: err.reason };
    if (err.details !== undefined) shape.details = err.details;
    return shape;
  }
  return { errorType: err.errorType || err.name || 'Error', message: String(err.message) };
}

function jsonValue(value) {
  return value === undefined ? null : EJSON.toJSONValue(value);
}

function finish(last) {
  emit(last);
  harness.finished = true;
  conn.close();
  Meteor.setTimeout(function () { process.exit(last.event === 'done' ? 0 : 1); }, 0);
}

var conn = null;
function watchStatus() {
  var stream = conn._stream;
  var statusChanged = stream.statusChanged;
  // socket-stream-client calls this.statusChanged() after every change of currentStatus
  // (common.js): one line per call, as a Tracker dependency would be notified.
  stream.statusChanged = function () {
    var status = conn.status();
    var line = { event: 'status', status: status.status, connected: status.connected, retryCount: status.retryCount };
    if (status.retryTime !== undefined) {
      line.retryTime = status.retryTime;
      line.delay = status.retryTime - Date.now();
    }
    if (status.reason !== undefined) line.reason = status.reason;
    emit(line);
    return statusChanged.apply(this, arguments);
  };
}

var subs = {};
var actions = {
  call: function (step) {
    conn.apply(step.name, EJSON.fromJSONValue(step.params || []), {
      wait: !!step.wait, noRetry: !!step.noRetry,
      onResultReceived: function (err, res) {
        emit({ event: 'result_received', label: step.label, error: errorShape(err), result: err ? null : jsonValue(res) });
      },
    }, function (err, res) {
      emit({ event: 'callback', label: step.label, error: errorShape(err), result: err ? null : jsonValue(res) });
    });
  },
  subscribe: function (step) {
    var params = EJSON.fromJSONValue(step.params || []);
    params.push({
      onReady: function () { emit({ event: 'ready', label: step.label }); },
      onStop: function (err) { emit({ event: 'stop', label: step.label, error: errorShape(err) }); },
    });
    subs[step.label] = conn.subscribe.apply(conn, [step.name].concat(params));
  },
  unsubscribe: function (step) { subs[step.label].stop(); },
  disconnect: function () { conn.disconnect(); },
  reconnect: function () { conn.reconnect(); },
};

function run(i) {
  if (harness.finished) return;
  if (i >= plan.steps.length) return finish({ event: 'done' });
  var step = plan.steps[i];
  if (step.do === 'sleep') return Meteor.setTimeout(function () { run(i + 1); }, step.ms);
  if (step.do === 'await') {
    var count = step.count || 1;
    if (countMatches(step.match) >= count) return Meteor.defer(function () { run(i + 1); });
    waiter = { match: step.match, count: count, resume: function () { run(i + 1); } };
    return undefined;
  }
  if (!actions[step.do]) throw new Error('client_app.js: unknown step ' + JSON.stringify(step));
  actions[step.do](step);
  return run(i + 1);
}

// At startup: the packages' modules are only fully linked once every file loaded.
Meteor.startup(function () {
  conn = DDP.connect(harness.target, plan.options || {});
  watchStatus();  // before any status change: the first comes with the socket's open
  Meteor.setTimeout(function () {
    if (!harness.finished) finish({ event: 'timeout', waiting: waiter && waiter.match });
  }, plan.timeout_ms || 20000);
  run(0);
});
