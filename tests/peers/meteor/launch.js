#!/usr/bin/env node
// ddp-monitor test peer: the REAL Meteor 1.9.3 DDP server (packages/ddp-server.js
// etc. taken unmodified from the steedos-server@2.1.64 npm bundle that install.sh
// unpacks), booted with Meteor's own boot code (@steedos/meteor-bundle-runner's copy
// of boot.js) on Node 12 + fibers. Only the package subset needed for DDP is loaded
// (no mongo, no steedos app), plus the scenario in app.js.
//
// Usage: ./serve --port 4000 [--host 127.0.0.1] [--agent FILE]   (runs this file under Node 12)
// --agent FILE loads that server file after app.js as one more package file (the
// ddp-monitor agent, packaging/meteor-agent/agent.js); its secret and
// HTTP_FORWARDED_COUNT come from the environment, as in a deployed app.
// Prints {"ready": true, "url": "ws://127.0.0.1:4000/websocket", ...} when listening.
//
// Or, Meteor's own DDP CLIENT (the ddp-client package's DDP.connect, as a
// server-to-server connection): ./serve --scenario client --plan PLAN.json --target URL
// loads the packages up to ddp-client.js (no webapp, nothing listens) plus
// client_app.js, which runs the plan and prints JSON lines (see that file).
'use strict';
var path = require('path');
var fs = require('fs');

function arg(name, dflt) {
  var i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
var port = Number(arg('port', '3000'));
var host = arg('host', '127.0.0.1');
var scenario = arg('scenario', 'server');
if (scenario !== 'server' && scenario !== 'client') {
  process.stderr.write('launch.js: --scenario is server or client, not ' + scenario + '\n');
  process.exit(2);
}
var CLIENT = scenario === 'client';
var agent = arg('agent', null);
if (agent !== null && (CLIENT || !fs.existsSync(agent))) {
  process.stderr.write('launch.js: --agent needs an existing file and the server scenario: ' + agent + '\n');
  process.exit(2);
}

var HOME = process.env.DDP_PEERS_HOME || path.join(require('os').homedir(), '.cache', 'ddp-monitor-peers');
var INSTALL = path.join(HOME, 'meteor-1.9.3');                  // written by install.sh
var BUNDLE = path.join(INSTALL, 'bundle', 'bundle', 'programs', 'server');
// Generated at each start; one directory per scenario, so a client launch never
// rewrites the program.json that a server starting at the same time reads. The
// client's lies three levels below INSTALL: the runner's npm-require.js resolves
// module.useNode() modules (ddp-client's @babel/runtime helpers) in
// serverDir/../../../node_modules, which must be INSTALL/node_modules.
var RUNTIME = CLIENT ? path.join(INSTALL, 'runtime', 'client', 'server') : path.join(INSTALL, 'runtime', 'server');
// A server with the agent gets a directory of its own per agent text, so a server
// starting without it (or with another copy) never reads this one's program.json.
if (agent) {
  var agentText = fs.readFileSync(agent, 'utf8');
  var tag = require('crypto').createHash('sha1').update(agentText).digest('hex').slice(0, 12);
  RUNTIME = path.join(INSTALL, 'runtime', 'agent-' + tag, 'server');
}

// Packages from the bundle's program.json we do NOT load (client-only, Mongo,
// or unrelated); everything up to and including packages/ddp.js is kept.
var SKIP = {
  'packages/coffeescript.js': 1, 'packages/blaze-html-templates.js': 1,
  'packages/email.js': 1, 'packages/http.js': 1, 'packages/jquery.js': 1,
  'packages/npm-mongo.js': 1, 'packages/geojson-utils.js': 1,
  'packages/minimongo.js': 1, 'packages/reload.js': 1,
  'packages/mobile-experience.js': 1, 'packages/meteor-base.js': 1,
};
var LAST = CLIENT ? 'packages/ddp-client.js' : 'packages/ddp.js';
var APP = CLIENT ? 'client_app.js' : 'app.js';

function prepareRuntime() {
  var orig = JSON.parse(fs.readFileSync(path.join(BUNDLE, 'program.json'), 'utf8'));
  var load = [];
  for (var i = 0; i < orig.load.length; i++) {
    var f = orig.load[i];
    if (!SKIP[f.path]) load.push(f);
    if (f.path === LAST) break;
  }
  load.push({ path: 'app/harness-app.js' });
  if (agent) load.push({ path: 'app/harness-agent.js' });
  var program = { format: orig.format, arch: orig.arch, load: load };
  var config = JSON.parse(fs.readFileSync(path.join(BUNDLE, 'config.json'), 'utf8'));
  config.clientArchs = [];  // no client programs are served
  fs.mkdirSync(path.join(RUNTIME, 'app'), { recursive: true });
  var pk = path.join(RUNTIME, 'packages');
  try { fs.lstatSync(pk); } catch (e) { fs.symlinkSync(path.join(BUNDLE, 'packages'), pk); }
  // write atomically so parallel launches never see a half-written file
  function put(name, text) {
    var tmp = path.join(RUNTIME, name + '.' + process.pid + '.tmp');
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, path.join(RUNTIME, name));
  }
  put('program.json', JSON.stringify(program, null, 1));
  put('config.json', JSON.stringify(config));
  put('app/harness-app.js', fs.readFileSync(path.join(__dirname, APP), 'utf8'));
  if (agent) put('app/harness-agent.js', agentText);
}

prepareRuntime();

// Keep stdout JSON-lines only: Meteor's own logging goes to stderr.
var rawOut = process.stdout.write.bind(process.stdout);
console.log = console.info = function () {
  process.stderr.write(Array.prototype.join.call(arguments, ' ') + '\n');
};

if (CLIENT) {
  // client_app.js reads these: the parsed plan, the target URL, and the one
  // writer of stdout (JSON lines only).
  var planPath = arg('plan', null);
  var target = arg('target', null);
  if (!planPath || !target) {
    process.stderr.write('usage: serve --scenario client --plan PLAN.json --target URL\n');
    process.exit(2);
  }
  global.__harness_client = {
    plan: JSON.parse(fs.readFileSync(planPath, 'utf8')), target: target,
    out: function (obj) { rawOut(JSON.stringify(obj) + '\n'); },
    finished: false,
  };
  process.on('exit', function (code) {
    if (!global.__harness_client.finished) rawOut(JSON.stringify({ event: 'exit', code: code }) + '\n');
  });
}

process.env.PORT = String(port);
process.env.BIND_IP = host;
process.env.ROOT_URL = process.env.ROOT_URL || ('http://' + host + ':' + port);
process.env.STEEDOS_AUTO_OPEN_BROWSER = 'false';
delete process.env.MONGO_URL;

global.__steedos_bootstrap__ = { projectDir: RUNTIME, serverDir: RUNTIME, verbose: false };
var readyPrinted = false;
process.on('exit', function (code) {
  if (!readyPrinted && !CLIENT) rawOut(JSON.stringify({ ready: false, error: 'Meteor exited with code ' + code + ' before listening (see stderr)' }) + '\n');
});
global.__harness_on_listening = function () {
  readyPrinted = true;
  rawOut(JSON.stringify({
    ready: true, url: 'ws://' + host + ':' + port + '/websocket', peer: 'meteor',
    impl: 'Meteor ' + __meteor_runtime_config__.meteorRelease + ' ddp-server (steedos-server@2.1.64 bundle)',
    node: process.version, pid: process.pid,
  }) + '\n');
};

var boot = require(path.join(INSTALL, 'node_modules', '@steedos', 'meteor-bundle-runner', 'src', 'boot.js'));
boot.Fiber(function () {
  boot.loadServerBundles();
  boot.callStartupHooks();  // client_app.js starts its plan from Meteor.startup
  if (!CLIENT) boot.runMain();  // webapp's main(): listen (the client has no main)
}).run();

process.on('SIGTERM', function () { process.exit(0); });
process.on('SIGINT', function () { process.exit(0); });
