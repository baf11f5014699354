// A client of an app that runs ddp-monitor's agent: the `ddp` npm package (node-ddp
// 0.12.1, raw WebSocket at /websocket) that reconnects by itself, as an app's clients do.
// Usage: node agent_client.js http://HOST:PORT
// On every connection it asks the app who it is (the scenario's whoami: the session id and
// the clientAddress Meteor computed) and prints {"client": "ddp", "event": "connected",
// "session", "whoami"}; it stays connected (and reconnects) until its stdin closes.
'use strict';
var DDPClient = require('ddp');
var common = require('./common');

var run = common.start('ddp');
var client = new DDPClient({
  host: run.host, port: run.port, url: run.ws,
  autoReconnect: true, autoReconnectTimer: 50, maintainCollections: false, ddpVersion: '1',
});

client.connect(function (error) {
  if (error) return run.fatal(error);
  client.call('whoami', [], function (err, whoami) {
    if (err) return run.fatal(err);
    run.emit('connected', { session: client.session, whoami: whoami });
    return undefined;
  });
  return undefined;
});

// The test ends it by closing stdin (common.start ends it after 30 s otherwise).
process.stdin.on('end', function () { client.close(); run.done(); });
process.stdin.resume();
