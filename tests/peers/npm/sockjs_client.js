// Interop with the `sockjs-client` npm package (1.6.1), forced onto its websocket
// transport: /sockjs/info, then /sockjs/<server>/<session>/websocket with SockJS
// framing (o, a[...], h, c[...]) handled by the library. `--transport xhr-polling`
// forces the polling fallback instead (POST .../xhr and .../xhr_send), as a
// browser without WebSocket uses it. The DDP on top is written
// here by hand, frame by frame, as Meteor's browser client sends it
// (packages/ddp-client/common/livedata_connection.js): connect, method, sub.
'use strict';
var SockJS = require('sockjs-client');
var EJSON = require('ejson');
var common = require('./common');

var run = common.start('sockjs-client');
var transportAt = process.argv.indexOf('--transport');
var transport = transportAt > 0 ? process.argv[transportAt + 1] : 'websocket';
var sock = new SockJS(run.base + '/sockjs', null, { transports: [transport] });
var waiting = [];           // [predicate, resolve]: answers the plan awaits
var collections = {};       // collection -> id -> fields (EJSON-decoded)

function send(msg) { sock.send(EJSON.stringify(msg)); }

function next(predicate) {
  return new Promise(function (resolve) { waiting.push([predicate, resolve]); });
}

sock.onmessage = function (event) {
  var msg = EJSON.parse(event.data);
  if (msg.msg === 'ping') send(msg.id === undefined ? { msg: 'pong' } : { msg: 'pong', id: msg.id });
  if (msg.msg === 'added' || msg.msg === 'changed') {
    var docs = collections[msg.collection] = collections[msg.collection] || {};
    var doc = docs[msg.id] = docs[msg.id] || { _id: msg.id };
    Object.assign(doc, msg.fields || {});
    (msg.cleared || []).forEach(function (key) { delete doc[key]; });
  }
  if (msg.msg === 'removed') delete (collections[msg.collection] || {})[msg.id];
  waiting = waiting.filter(function (entry) {
    if (!entry[0](msg)) return true;
    entry[1](msg);
    return false;
  });
};
sock.onclose = function (event) { if (!closing) run.fatal(new Error('SockJS closed: ' + event.code + ' ' + event.reason)); };
var closing = false;

var nextId = 0;
async function call(method, params) {
  var id = String(++nextId);
  var result = next(function (m) { return m.msg === 'result' && m.id === id; });
  var updated = next(function (m) { return m.msg === 'updated' && m.methods.indexOf(id) >= 0; });
  send({ msg: 'method', id: id, method: method, params: params });
  var answer = await result;
  await updated;
  if (answer.error) run.emit('error', { method: method, params: EJSON.toJSONValue(params), error: common.errorFields(answer.error) });
  else run.emit('result', { method: method, params: EJSON.toJSONValue(params), result: EJSON.toJSONValue(answer.result) });
}

async function subscribe(name, params) {
  var id = 's' + (++nextId);
  var ready = next(function (m) { return (m.msg === 'ready' && m.subs.indexOf(id) >= 0) || (m.msg === 'nosub' && m.id === id); });
  send({ msg: 'sub', id: id, name: name, params: params });
  var answer = await ready;
  if (answer.msg === 'nosub') throw new Error('nosub ' + JSON.stringify(answer.error));
  return id;
}

function documents(name) {
  var docs = collections[name] || {};
  return common.sorted(Object.keys(docs).map(function (id) { return EJSON.toJSONValue(docs[id]); }));
}

sock.onopen = async function () {
  try {
    var connected = next(function (m) { return m.msg === 'connected' || m.msg === 'failed'; });
    send({ msg: 'connect', version: '1', support: ['1', 'pre2', 'pre1'] });
    var answer = await connected;
    if (answer.msg === 'failed') throw new Error('DDP version negotiation failed: ' + answer.version);
    run.emit('connected', { transport: sock.transport, session_length: answer.session.length });
    await call('echo', [EJSON.fromJSONValue(common.ECHO)]);
    await call('add', common.ADD);
    await call('fail', []);
    await subscribe('items', [common.ITEMS]);
    run.emit('ready', { subscription: 'items', documents: documents('items') });
    var ticked = next(function (m) { return m.msg === 'changed' && m.collection === 'ticker' && m.fields && m.fields.n >= 1; });
    await subscribe('ticker', [common.TICKER_MS]);
    run.emit('ready', { subscription: 'ticker', documents: documents('ticker') });
    await ticked;
    run.emit('changed', { collection: 'ticker', n_at_least_1: documents('ticker')[0].n >= 1 });
    closing = true;
    sock.close();
    run.done();
  } catch (e) {
    run.fatal(e);
  }
};
