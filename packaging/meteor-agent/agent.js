// ddp-monitor's agent (server only): this Meteor server process's DDP connections,
// live, in the shape of ddp-monitor's proxy control publication, with Close and the
// faults that make sense inside a server. Off unless a secret is given.
//
// Uses only what Meteor 1.9 (fibers) and Meteor 3 (async) both have: Meteor.onConnection,
// Meteor.publish's low-level added/changed/removed/ready, Meteor.methods, Meteor.setInterval,
// Meteor.server.sessions (a Map since 1.8), a session's socket.send and processMessage,
// its _namedSubs (a Map) and each subscription's _name, _params, _ready and _documents.
// Nothing here yields or awaits, so the same code runs inside a fiber or outside one.
//
// | name                                   | kind        | what |
// |----------------------------------------|-------------|------|
// | ddpMonitorAgent.connections(secret)    | publication | collection ddpMonitorAgent.connections: one row per client connection |
// | ddpMonitorAgent.close(secret, id)      | method      | close the session (its Meteor client reconnects with a new id) |
// | ddpMonitorAgent.setFaults(secret, id, faults) | method | merge faults into id's (null: every connection and new ones) |
// | ddpMonitorAgent.clearFaults(secret, id) | method     | no faults on id (null: on every connection) |
// | ddpMonitorAgent.frames(secret, id, limit) | method   | the connection's recent frames (secrets masked), while a panel watches |
//
// Faults, in the proxy's wire form (ddp_monitor/ddp/faults.py): toClient.latencyMs (every
// frame the session sends waits), holdDataMs (its data messages wait that long, from now),
// toClient.swallowPongs (its answers to the client's pings are dropped: the client's
// heartbeat fails), toServer.swallowPongs (the client's pongs are ignored: the server's
// heartbeat closes the session if nothing else arrives). Other faults need the network
// (the proxy does them); given as "off" (0, false) they are accepted, else refused.
var Meteor = Package.meteor.Meteor;
var crypto = Npm.require('crypto');
var os = Npm.require('os');

var PREFIX = 'ddpMonitorAgent.';
var COLLECTION = PREFIX + 'connections';
var FLUSH_MS = 250;          // changed rows go to the panels at most this often
var RECENT_FRAMES = 300;     // frames kept per connection while a panel watches
var CALLS_PER_SECOND = 20;   // per agent connection (a panel polls frames on selection)
var WRONG_SECRETS = 5;       // per remote address and minute, then refused for that minute
// sockjs copies these only; a newer transport may pass more: never cookies or credentials.
var NEVER_HEADERS = { cookie: 1, authorization: 1, 'proxy-authorization': 1 };
var DATA_MESSAGES = { added: 1, changed: 1, removed: 1, ready: 1, updated: 1, nosub: 1,
                      addedBefore: 1, movedBefore: 1 };

function log(text) { console.log('ddp-monitor agent: ' + text); }

function configuredSecret() {
  var fromEnv = process.env.DDP_MONITOR_AGENT_SECRET;
  if (fromEnv) return fromEnv;
  var settings = Meteor.settings && Meteor.settings.ddpMonitorAgent;
  return settings && typeof settings.secret === 'string' && settings.secret ? settings.secret : null;
}

function digest(text) { return crypto.createHash('sha256').update(String(text), 'utf8').digest(); }

// -- records: what the agent keeps of each connection ------------------------------------

var SERVER = os.hostname() + ':' + process.pid;
var records = new Map();       // session id -> record
var agentIds = new Set();      // connections that gave the secret: never listed
var watchers = new Set();      // the agent's live publications
var dirty = new Set();         // records changed since the last flush
var forAll = {};               // faults for every connection and new ones (wire form)

function kindOf(text) {
  // Meteor's stringifyDDP puts msg first; anything else is read in full.
  if (text.charCodeAt(0) === 123 && text.startsWith('{"msg":"')) {
    var end = text.indexOf('"', 8);
    if (end > 8) return text.slice(8, end);
  }
  try { var m = JSON.parse(text); return m && typeof m.msg === 'string' ? m.msg : ''; } catch (e) { return ''; }
}

function fieldOf(text, kind, name) {
  try { var m = JSON.parse(text); return m && m.msg === kind ? m[name] : undefined; } catch (e) { return undefined; }
}

function track(handle) {
  var session = Meteor.server.sessions.get(handle.id);
  if (!session || !session.socket) return;
  var socket = session.socket;
  var rec = {
    id: handle.id, handle: handle, session: session, socket: socket,
    connectedAt: new Date(), framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0,
    inFlight: new Map(),   // method id -> {name, since}
    faults: {}, recent: null, queue: [], held: [], holdUntil: 0, timer: null, holdTimer: null,
    send: socket.send,
  };
  records.set(rec.id, rec);
  socket.send = function (data) { return outgoing(rec, data); };
  socket.on('data', function (raw) { incoming(rec, raw); });
  var process_ = session.processMessage;
  session.processMessage = function (msg) {
    // toServer.swallowPongs: the pong never reaches the session, so its heartbeat
    // (which counts any message as a pong) times out on an idle client.
    if (msg && msg.msg === 'pong' && rec.faults.toServer && rec.faults.toServer.swallowPongs) return;
    return process_.apply(this, arguments);
  };
  setFaults(rec, forAll);
  handle.onClose(function () { forget(rec); });
  if (!agentIds.has(rec.id)) watchers.forEach(function (w) { addRow(w, rec); });
}

function forget(rec) {
  if (!records.has(rec.id)) return;
  records.delete(rec.id);
  dirty.delete(rec);
  if (rec.timer) clearTimeout(rec.timer);
  if (rec.holdTimer) clearTimeout(rec.holdTimer);
  if (!agentIds.has(rec.id)) watchers.forEach(function (w) { w.removed(COLLECTION, rec.id); });
  agentIds.delete(rec.id);
}

// Frames kept for a panel never hold passwords or tokens: ddp-monitor's recording rules
// (ddp_monitor/recording/masking.py): the value of these keys anywhere in a frame, and
// every parameter of the methods whose secrets have no key.
var SECRET_KEYS = { password: 1, resume: 1, token: 1, hashedToken: 1, newPassword: 1 };
var SECRET_POSITIONAL = { changePassword: 1, resetPassword: 1, verifyEmail: 1 };
var MAY_HOLD_SECRETS = /"(password|resume|token|hashedToken|newPassword|changePassword|resetPassword|verifyEmail)"/;
var MASK = '***';

function maskDeep(value) {
  if (Array.isArray(value)) return value.map(maskDeep);
  if (!value || typeof value !== 'object') return value;
  var out = {};
  Object.keys(value).forEach(function (k) { out[k] = SECRET_KEYS[k] ? MASK : maskDeep(value[k]); });
  return out;
}

function masked(text) {
  if (!MAY_HOLD_SECRETS.test(text)) return text;   // the common case: no parsing
  var message;
  try { message = JSON.parse(text); } catch (e) { return text; }
  if (message && message.msg === 'method' && SECRET_POSITIONAL[message.method] && Array.isArray(message.params)) {
    message.params = message.params.map(function () { return MASK; });
  }
  return JSON.stringify(maskDeep(message));
}

// A ring of the last RECENT_FRAMES frames: three arrays written in place, so a frame
// costs a clock read and three stores, no allocation; masking waits for a panel's ask.
function Ring() {
  this.texts = new Array(RECENT_FRAMES);
  this.times = new Float64Array(RECENT_FRAMES);
  this.toServer = new Uint8Array(RECENT_FRAMES);
  this.next = 0;      // where the next frame goes
  this.count = 0;
}

Ring.prototype.add = function (toServer, text) {
  var at = this.next;
  this.texts[at] = text;
  this.times[at] = Date.now();
  this.toServer[at] = toServer ? 1 : 0;
  this.next = (at + 1) % RECENT_FRAMES;
  if (this.count < RECENT_FRAMES) this.count += 1;
};

// The last `limit` frames, oldest first, as ddp-monitor's proxy.frames gives them.
Ring.prototype.frames = function (limit, since) {
  var count = Math.min(this.count, limit);
  var out = [];
  for (var k = count; k > 0; k--) {
    var at = (this.next - k + RECENT_FRAMES) % RECENT_FRAMES;
    out.push({ dir: this.toServer[at] ? 'toServer' : 'toClient',
               at: (this.times[at] - since) / 1000, text: masked(this.texts[at]) });
  }
  return out;
};

function remember(rec, toServer, text) {
  if (!rec.recent) rec.recent = new Ring();
  rec.recent.add(toServer, text);
}

function incoming(rec, raw) {
  rec.framesIn += 1;
  rec.bytesIn += Buffer.byteLength(raw, 'utf8');
  // Methods in flight: from the client's method frame to the session's result.
  if (raw.indexOf('"method"') !== -1 && kindOf(raw) === 'method') {
    try {
      var m = JSON.parse(raw);
      if (typeof m.id === 'string') rec.inFlight.set(m.id, { name: String(m.method), since: new Date() });
    } catch (e) { /* the server answers the bad frame itself */ }
  }
  if (watchers.size) { remember(rec, true, raw); dirty.add(rec); }
}

function outgoing(rec, data) {
  rec.framesOut += 1;
  rec.bytesOut += Buffer.byteLength(data, 'utf8');
  var kind = rec.inFlight.size || rec.faulty ? kindOf(data) : '';
  if (kind === 'result' && rec.inFlight.size) rec.inFlight.delete(fieldOf(data, 'result', 'id'));
  if (watchers.size) { remember(rec, false, data); dirty.add(rec); }
  if (!rec.faulty) return rec.send.call(rec.socket, data);
  var toClient = rec.faults.toClient || {};
  if (kind === 'pong' && toClient.swallowPongs) return undefined;
  if (DATA_MESSAGES[kind] && rec.holdUntil > Date.now()) {
    rec.held.push(data);
    return undefined;
  }
  return delayed(rec, data);
}

// toClient.latencyMs: frames leave in order, each that much later than it was sent.
function delayed(rec, data) {
  var latency = (rec.faults.toClient && rec.faults.toClient.latencyMs) || 0;
  if (!latency && !rec.queue.length) return rec.send.call(rec.socket, data);
  rec.queue.push({ due: Date.now() + latency, data: data });
  if (!rec.timer) pump(rec);
  return undefined;
}

function pump(rec) {
  rec.timer = null;
  var now = Date.now();
  while (rec.queue.length && rec.queue[0].due <= now) {
    var next = rec.queue.shift();
    if (records.has(rec.id)) rec.send.call(rec.socket, next.data);
  }
  if (rec.queue.length) rec.timer = setTimeout(function () { pump(rec); }, rec.queue[0].due - now);
}

function releaseHeld(rec) {
  rec.holdTimer = null;
  var held = rec.held;
  rec.held = [];
  held.forEach(function (data) { delayed(rec, data); });
}

// -- faults -------------------------------------------------------------------------------

function badFaults(reason) { return new Meteor.Error('bad-faults', reason); }

function number(key, value) {
  if (typeof value !== 'number' || !isFinite(value) || value < 0) throw badFaults(key + ' must be 0 or more milliseconds');
  return value;
}

function flag(key, value) {
  if (typeof value !== 'boolean') throw badFaults(key + ' must be true or false');
  return value;
}

var OFF_ONLY = 'needs the network between client and server: use ddp-monitor\'s proxy';

// The faults after `changes` (wire form) on top of `base`; refuses what it cannot do.
function mergeFaults(base, changes) {
  if (!changes || typeof changes !== 'object' || Array.isArray(changes)) throw badFaults('faults must be an object');
  var out = JSON.parse(JSON.stringify(base || {}));
  Object.keys(changes).forEach(function (key) {
    var value = changes[key];
    if (key === 'toClient' || key === 'toServer') {
      if (!value || typeof value !== 'object') throw badFaults(key + ' must be an object');
      var way = out[key] || {};
      Object.keys(value).forEach(function (sub) {
        var name = key + '.' + sub;
        if (sub === 'swallowPongs') way.swallowPongs = flag(name, value[sub]);
        else if (sub === 'latencyMs' && key === 'toClient') way.latencyMs = number(name, value[sub]);
        else if (sub === 'latencyMs' || sub === 'jitterMs' || sub === 'bandwidth') {
          if (number(name, value[sub]) !== 0) throw badFaults(name + ' ' + OFF_ONLY);
        } else if (sub === 'swallowPings') {
          if (flag(name, value[sub])) throw badFaults(name + ' ' + OFF_ONLY);
        } else throw badFaults('unknown fault ' + name);
      });
      if (!way.latencyMs) delete way.latencyMs;
      if (!way.swallowPongs) delete way.swallowPongs;
      if (Object.keys(way).length) out[key] = way; else delete out[key];
    } else if (key === 'holdDataMs') {
      if (number(key, value)) out.holdDataMs = value; else delete out.holdDataMs;
    } else if (key === 'deadLink') {
      if (flag(key, value)) throw badFaults(key + ' ' + OFF_ONLY);
    } else if (key === 'batterySavingMs') {
      if (number(key, value) !== 0) throw badFaults(key + ' ' + OFF_ONLY);
    } else if (['delayResultMs', 'dropResult', 'delayUpdatedMs', 'dropUpdated', 'delayReadyMs',
                'dropReady', 'dropOneIn'].indexOf(key) !== -1) {
      throw badFaults(key + ' is not offered by the agent (the proxy has it)');
    } else throw badFaults('unknown fault ' + key);
  });
  return out;
}

function setFaults(rec, faults) {
  var hold = faults.holdDataMs || 0;
  if (hold !== (rec.faults.holdDataMs || 0)) {
    // The hold runs from when it is set, as the proxy's: N ms, then the flow.
    if (rec.holdTimer) clearTimeout(rec.holdTimer);
    rec.holdTimer = null;
    rec.holdUntil = hold ? Date.now() + hold : 0;
    if (hold) rec.holdTimer = setTimeout(function () { releaseHeld(rec); }, hold);
    else releaseHeld(rec);
  }
  rec.faults = faults;
  rec.faulty = Object.keys(faults).length > 0 || rec.queue.length > 0;
  dirty.add(rec);
}

// -- rows ---------------------------------------------------------------------------------

function headersOf(handle) {
  var out = {};
  var given = handle.httpHeaders || {};
  Object.keys(given).forEach(function (k) { if (!NEVER_HEADERS[k.toLowerCase()]) out[k] = given[k]; });
  return out;
}

function subscriptionsOf(session) {
  var subs = [];
  var named = session._namedSubs;
  if (!named || typeof named.forEach !== 'function') return subs;
  named.forEach(function (sub, id) {
    var documents = 0;
    if (sub._documents && typeof sub._documents.forEach === 'function') {
      sub._documents.forEach(function (ids) { documents += ids.size || 0; });
    }
    subs.push({ id: id, name: sub._name, params: sub._params || [], ready: !!sub._ready, documents: documents });
  });
  return subs;
}

// The proxy's row (ddp_monitor/proxy/rows.py), as this server knows it: clientAddress is
// the TCP peer, appClientAddress what the app computes (HTTP_FORWARDED_COUNT applied).
function row(rec) {
  var headers = headersOf(rec.handle);
  var inFlight = [];
  rec.inFlight.forEach(function (call, id) { inFlight.push({ id: id, name: call.name, since: call.since }); });
  return {
    server: SERVER,
    session: rec.id,
    resumption: null,
    clientAddress: rec.socket.remoteAddress || null,
    forwardedFor: headers['x-forwarded-for'] || null,
    appClientAddress: rec.handle.clientAddress || null,
    httpHeaders: headers,
    userAgent: headers['user-agent'] || '',
    userId: rec.session.userId || null,
    transport: rec.socket.protocol || '',
    ddpVersion: rec.session.version || null,
    subscriptions: subscriptionsOf(rec.session),
    methodsInFlight: inFlight,
    framesToServer: rec.framesIn,
    framesToClient: rec.framesOut,
    bytesToServer: rec.bytesIn,
    bytesToClient: rec.bytesOut,
    faults: rec.faults,
    upstreamClosed: false,
    connectedAt: rec.connectedAt,
  };
}

// Sends `rec`'s row to `sub` whole, and remembers it as what the panels have.
function addRow(sub, rec) {
  var now = row(rec);
  sub.added(COLLECTION, rec.id, now);
  var sent = {};
  Object.keys(now).forEach(function (k) { sent[k] = JSON.stringify(now[k]); });
  rec.sent = sent;
}

function flush() {
  if (!dirty.size) return;
  var changed = [];
  dirty.forEach(function (rec) { if (records.has(rec.id) && !agentIds.has(rec.id)) changed.push(rec); });
  dirty.clear();
  changed.forEach(function (rec) {
    var now = row(rec);
    var before = rec.sent || {};
    var fields = {};
    var any = false;
    Object.keys(now).forEach(function (k) {
      var text = JSON.stringify(now[k]);
      if (before[k] !== text) { fields[k] = now[k]; before[k] = text; any = true; }
    });
    rec.sent = before;
    if (any) watchers.forEach(function (w) { w.changed(COLLECTION, rec.id, fields); });
  });
}

// -- access: the secret, the rate, the log -------------------------------------------------

function refuse(code, reason) { return new Meteor.Error(code, reason); }

function makeGate(secret) {
  var expected = digest(secret);
  var wrong = new Map();     // remote address -> {count, since}
  var calls = new Map();     // connection id -> {tokens, at}
  return function check(invocation, given, what) {
    var conn = invocation.connection;
    var session = conn && Meteor.server.sessions.get(conn.id);
    var from = (session && session.socket && session.socket.remoteAddress) || conn && conn.clientAddress || '?';
    var now = Date.now();
    var w = wrong.get(from);
    if (w && now - w.since > 60000) { wrong.delete(from); w = null; }
    if (w && w.count >= WRONG_SECRETS) {
      log('refused ' + what + ' from ' + from + ': too many wrong secrets');
      throw refuse('too-many-requests', 'too many wrong secrets from ' + from + '; wait a minute');
    }
    // Constant time: both sides hashed to 32 bytes, compared with timingSafeEqual.
    var ok = typeof given === 'string' && crypto.timingSafeEqual(digest(given), expected);
    if (!ok) {
      if (!w) { w = { count: 0, since: now }; wrong.set(from, w); }
      w.count += 1;
      log('refused ' + what + ' from ' + from + ' (connection ' + (conn && conn.id) + '): wrong secret');
      throw refuse('forbidden', 'wrong ddp-monitor agent secret');
    }
    var bucket = calls.get(conn.id) || { tokens: CALLS_PER_SECOND, at: now };
    bucket.tokens = Math.min(CALLS_PER_SECOND, bucket.tokens + (now - bucket.at) * CALLS_PER_SECOND / 1000);
    bucket.at = now;
    if (bucket.tokens < 1) {
      log('refused ' + what + ' from ' + from + ': more than ' + CALLS_PER_SECOND + ' calls a second');
      throw refuse('too-many-requests', 'more than ' + CALLS_PER_SECOND + ' agent calls a second');
    }
    bucket.tokens -= 1;
    if (!calls.has(conn.id)) {
      calls.set(conn.id, bucket);
      conn.onClose(function () { calls.delete(conn.id); });
    }
    markAgent(conn.id);
    log(what + ' by connection ' + conn.id + ' from ' + from);
  };
}

// The agent's own connection is a client of this server too: never list it.
function markAgent(id) {
  if (agentIds.has(id)) return;
  agentIds.add(id);
  var rec = records.get(id);
  if (!rec) return;
  // Faults for all reached it when it connected; a panel's own link stays clean.
  setFaults(rec, {});
  dirty.delete(rec);
  watchers.forEach(function (w) { w.removed(COLLECTION, id); });
}

function recordOf(id) {
  if (typeof id !== 'string') throw refuse('bad-request', 'a connection id (a string) is expected');
  var rec = records.get(id);
  if (!rec || agentIds.has(id)) throw refuse('not-found', 'no connection ' + id + ' on ' + SERVER);
  return rec;
}

function start(secret) {
  var check = makeGate(secret);
  var flusher = null;

  Meteor.onConnection(track);

  Meteor.publish(PREFIX + 'connections', function (given) {
    var sub = this;
    check(sub, given, 'subscribe connections');
    // The panels already watching get what changed first: rows are compared with
    // what was sent last, which the rows sent whole to this one become.
    flush();
    records.forEach(function (rec) { if (!agentIds.has(rec.id)) addRow(sub, rec); });
    watchers.add(sub);
    if (!flusher) flusher = Meteor.setInterval(flush, FLUSH_MS);
    sub.onStop(function () {
      watchers.delete(sub);
      if (!watchers.size && flusher) {
        Meteor.clearInterval(flusher);
        flusher = null;
        records.forEach(function (rec) { rec.recent = null; });
      }
    });
    sub.ready();
  });

  var methods = {};
  methods[PREFIX + 'close'] = function (given, id) {
    check(this, given, 'close ' + id);
    recordOf(id).handle.close();
    return null;
  };
  methods[PREFIX + 'setFaults'] = function (given, id, faults) {
    check(this, given, 'setFaults ' + id + ' ' + JSON.stringify(faults));
    if (id === null) {
      forAll = mergeFaults(forAll, faults);
      records.forEach(function (rec) { if (!agentIds.has(rec.id)) setFaults(rec, mergeFaults(rec.faults, faults)); });
      return forAll;
    }
    var rec = recordOf(id);
    setFaults(rec, mergeFaults(rec.faults, faults));
    return rec.faults;
  };
  methods[PREFIX + 'clearFaults'] = function (given, id) {
    check(this, given, 'clearFaults ' + id);
    if (id === null || id === undefined) {
      forAll = {};
      records.forEach(function (rec) { setFaults(rec, {}); });
    } else setFaults(recordOf(id), {});
    return null;
  };
  methods[PREFIX + 'frames'] = function (given, id, limit) {
    check(this, given, 'frames ' + id);
    var rec = recordOf(id);
    var count = typeof limit === 'number' && limit > 0 ? Math.floor(limit) : RECENT_FRAMES;
    return rec.recent ? rec.recent.frames(count, rec.connectedAt.getTime()) : [];
  };
  Meteor.methods(methods);
  log('on: publishing ' + COLLECTION + ' for ' + SERVER + ' to whoever gives the secret');
}

var secret = configuredSecret();
if (secret) start(secret);
else log('off (no DDP_MONITOR_AGENT_SECRET, no Meteor.settings.ddpMonitorAgent.secret): nothing registered');

DDPMonitorAgent = { enabled: !!secret, server: SERVER, collection: COLLECTION };
