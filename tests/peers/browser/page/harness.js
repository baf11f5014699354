// The scenario, run after Meteor's client packages loaded, with Meteor's public client
// API on the default connection (Meteor.status/apply/subscribe, Mongo.Collection) and one
// extra stream 'message' listener to see the DDP `connected` message and its session.
//   basic: connected, add(1, 2), items(n) ready; then done.
//   close: connected and `armed` (with the session); then waits for the connection to be
//          closed from outside (status waiting), to come back with a new session, and for
//          echo('after') to answer; then done.
(function () {
  'use strict';
  var cfg = window.__harness_config__;
  var H = window.__harness;
  var P = window.Package;
  var Meteor = P.meteor.Meteor;
  var Mongo = P.mongo.Mongo;
  var stream = Meteor.connection._stream;
  var sessions = [];
  var waiters = [];
  function notify() { waiters = waiters.filter(function (w) { if (!w.test()) return true; w.resolve(); return false; }); }
  function until(test) { return new Promise(function (resolve) { if (test()) resolve(); else waiters.push({ test: test, resolve: resolve }); }); }
  stream.on('message', function (raw) {
    var m; try { m = JSON.parse(raw); } catch (e) { return; }
    if (m.msg === 'connected') {
      sessions.push(m.session);
      var s = stream.socket;
      H.send('ddp', { msg: 'connected', session: m.session, transport: s && s.protocol || (s && s.url ? 'native websocket' : null) });
      setTimeout(notify, 0);
    }
  });
  stream.on('reset', function () { setTimeout(notify, 0); });
  stream.on('disconnect', function () { setTimeout(notify, 0); });
  var statuses = H.statuses;
  H.onStatus.push(function () { setTimeout(notify, 0); });
  function call(name, args) {
    return new Promise(function (resolve) {
      var t = performance.now();
      Meteor.apply(name, args, {}, function (err, res) {
        H.send('call', { method: name, params: args, result: res === undefined ? null : res,
          error: err ? { error: err.error, reason: err.reason } : null, ms: Math.round(performance.now() - t) });
        resolve(res);
      });
    });
  }
  function subscribe(name, args) {
    return new Promise(function (resolve) {
      Meteor.subscribe.apply(Meteor, [name].concat(args).concat([{
        onReady: function () { resolve(true); },
        onStop: function (err) { resolve(false); },
      }]));
    });
  }
  var Items = new Mongo.Collection('items');
  async function basic() {
    await until(function () { return sessions.length > 0 && Meteor.status().connected; });
    await call('add', [1, 2]);
    var ready = await subscribe('items', [cfg.n]);
    H.send('sub', { name: 'items', params: [cfg.n], ready: ready, count: Items.find().count() });
    H.send('done', { ok: true, sessions: sessions });
  }
  async function close() {
    await until(function () { return sessions.length > 0 && Meteor.status().connected; });
    await call('add', [1, 2]);
    var seen = statuses.length;
    H.send('armed', { session: sessions[0] });
    await until(function () { return statuses.slice(seen).indexOf('waiting') >= 0; });
    await until(function () { return sessions.length > 1 && Meteor.status().connected; });
    await call('echo', ['after']);
    H.send('done', { ok: true, sessions: sessions });
  }
  ({ basic: basic, close: close })[cfg.scenario]().catch(function (e) { H.send('done', { ok: false, reason: String(e && e.stack || e) }); });
})();
