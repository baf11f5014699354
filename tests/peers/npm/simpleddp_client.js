// Interop with the `simpleddp` npm package (2.2.4) over `isomorphic-ws` / `ws`,
// raw WebSocket at /websocket.
'use strict';
var simpleDDP = require('simpleddp');
var WebSocket = require('isomorphic-ws');
var EJSON = require('ejson');
var common = require('./common');

var run = common.start('simpleddp');
var server = new simpleDDP({ endpoint: run.ws, SocketConstructor: WebSocket, autoConnect: false, autoReconnect: false });

async function call(method, params) {
  try {
    var result = await server.apply(method, params);
    run.emit('result', { method: method, params: EJSON.toJSONValue(params), result: EJSON.toJSONValue(result) });
  } catch (error) {
    run.emit('error', { method: method, params: EJSON.toJSONValue(params), error: common.errorFields(error) });
  }
}

function documents(name) {
  // simpleddp names the document id `id`; the plan's output uses DDP's `_id`.
  return common.sorted(server.collection(name).fetch().map(function (doc) {
    var plain = EJSON.toJSONValue(doc);
    var out = { _id: plain.id };
    Object.keys(plain).forEach(function (key) { if (key !== 'id') out[key] = plain[key]; });
    return out;
  }));
}

(async function () {
  await server.connect();
  run.emit('connected');
  await call('echo', [EJSON.fromJSONValue(common.ECHO)]);
  await call('add', common.ADD);
  await call('fail', []);
  var items = server.subscribe('items', common.ITEMS);
  await items.ready();
  run.emit('ready', { subscription: 'items', documents: documents('items') });
  var ticked = new Promise(function (resolve) {
    server.collection('ticker').onChange(function (change) { if (change.changed && change.changed.next.n >= 1) resolve(); });
  });
  var ticker = server.subscribe('ticker', common.TICKER_MS);
  await ticker.ready();
  run.emit('ready', { subscription: 'ticker', documents: documents('ticker') });
  await ticked;
  run.emit('changed', { collection: 'ticker', n_at_least_1: documents('ticker')[0].n >= 1 });
  await ticker.remove();
  await items.remove();
  await server.disconnect();
  run.done();
})().catch(run.fatal);
