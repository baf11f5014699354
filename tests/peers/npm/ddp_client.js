// Interop with the `ddp` npm package (oortcloud/node-ddp 0.12.1): raw WebSocket at
// /websocket, or with --sockjs its SockJS path: GET /sockjs/info, then (Meteor's info has
// no base_url) the raw WebSocket.
'use strict';
var DDPClient = require('ddp');
var common = require('./common');

var sockjs = process.argv.indexOf('--sockjs') >= 0;
var run = common.start(sockjs ? 'ddp-sockjs' : 'ddp');
var client = new DDPClient({
  host: run.host, port: run.port, url: run.ws, useSockJs: sockjs,
  autoReconnect: false, maintainCollections: true, ddpVersion: '1',
});
var EJSON = client.EJSON;

function call(method, params) {
  return new Promise(function (resolve) {
    client.call(method, params, function (error, result) {
      if (error) run.emit("error", { method: method, params: EJSON.toJSONValue(params), error: common.errorFields(error) });
      else run.emit("result", { method: method, params: EJSON.toJSONValue(params), result: EJSON.toJSONValue(result) });
      resolve();
    });
  });
}

function subscribe(name, params) {
  return new Promise(function (resolve, reject) {
    client.subscribe(name, params, function (error) { if (error) reject(error); else resolve(); });
  });
}

function documents(name) {
  var docs = client.collections[name] || {};
  return common.sorted(Object.keys(docs).map(function (id) { return EJSON.toJSONValue(docs[id]); }));
}

client.connect(async function (error) {
  if (error) return run.fatal(error);
  run.emit('connected', { session_length: String(client.session).length });
  try {
    await call('echo', [EJSON.fromJSONValue(common.ECHO)]);
    await call('add', common.ADD);
    await call('fail', []);
    await subscribe('items', [common.ITEMS]);
    run.emit('ready', { subscription: 'items', documents: documents('items') });
    var observer = client.observe('ticker');
    var ticked = new Promise(function (resolve) {
      observer.changed = function (id) { if (client.collections.ticker[id].n >= 1) resolve(); };
    });
    await subscribe('ticker', [common.TICKER_MS]);
    run.emit('ready', { subscription: 'ticker', documents: documents('ticker') });
    await ticked;
    observer.stop();
    run.emit('changed', { collection: 'ticker', n_at_least_1: documents('ticker')[0].n >= 1 });
    client.close();
    run.done();
  } catch (e) {
    run.fatal(e);
  }
});
