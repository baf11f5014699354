// ddp-monitor test scenario, loaded INTO the real Meteor 1.9.3 server runtime (as if it
// were a package file: wrapped in function(Npm, Assets){...} by Meteor's boot.js).
// Uses only Meteor's public server API (Meteor.methods / Meteor.publish with the
// low-level added/changed/ready publication API), so no MongoDB is needed. The demo
// server of ddp_monitor (ddp_monitor/demo.py) implements the same names and behaviour.
var Meteor = Package.meteor.Meteor;
var WebApp = Package.webapp.WebApp;

var EJSON = Package.ejson.EJSON;

Meteor.methods({
  echo: function (x) { return x; },
  // diagnostic: how did the server itself decode the argument?
  describe: function (x) {
    var type = x === null ? 'null' : x instanceof Date ? 'Date' : EJSON.isBinary(x) ? 'binary'
      : Array.isArray(x) ? 'array' : typeof x;
    return { type: type, ejson: EJSON.stringify(x, { canonical: true }) };
  },
  add: function (a, b) { return a + b; },
  // Meteor default semantics: methods from one connection run in sequence
  // (no this.unblock()), the fiber sleeps without blocking the process.
  slow: function (ms) { Meteor._sleepForMs(ms); return ms; },
  fail: function () {
    throw new Meteor.Error('boom', 'Boom: requested failure', { scenario: 'fail' });
  },
  // as the demo's whoami: who the server thinks is calling (HTTP_FORWARDED_COUNT applies)
  whoami: function () {
    var c = this.connection;
    return { id: c.id, clientAddress: c.clientAddress, httpHeaders: c.httpHeaders };
  },
});

// A page that is not DDP, for the proxy's pass-through: two chunks 50 ms apart
// (a streamed answer), naming what the app received.
WebApp.connectHandlers.use('/page', function (req, res) {
  var body = '';
  req.on('data', function (d) { body += d; });
  req.on('end', function () {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.write('first\n');
    setTimeout(function () {
      res.end(JSON.stringify({ method: req.method, url: req.originalUrl || req.url, body: body,
        xForwardedFor: req.headers['x-forwarded-for'] || null, host: req.headers.host }) + '\n');
    }, 50);
  });
});

Meteor.publish('items', function (n) {
  n = Number(n) || 0;
  for (var k = 0; k < n; k++) {
    this.added('items', 'i' + k, { k: k, text: 'item ' + k });
  }
  this.ready();
});

Meteor.publish('ticker', function (intervalMs) {
  var self = this;
  var n = 0;
  self.added('ticker', 'tick', { n: n, at: new Date() });
  self.ready();
  var h = Meteor.setInterval(function () {
    n += 1;
    self.changed('ticker', 'tick', { n: n, at: new Date() });
  }, Number(intervalMs) || 1000);
  self.onStop(function () { Meteor.clearInterval(h); });
});

WebApp.onListening(function () {
  if (global.__harness_on_listening) global.__harness_on_listening();
});
