#!/usr/bin/env node
// Meteor 1.9.3's REAL browser DDP client in headless Chromium, pointed at a DDP server.
//   node run.js http://HOST:PORT [--scenario basic|close] [--n 5] [--no-websocket] [--timeout 60]
// A static page server on 127.0.0.1:<free port> serves one page: __meteor_runtime_config__
// with DDP_DEFAULT_CONNECTION_URL = the server, Meteor's client packages as split.js cut them
// (install.sh), page/pre-ddp.js before ddp-client, page/harness.js last. Meteor's ddp-client
// opens Meteor.connection itself as in an app (SockJS: /sockjs/info, then its websocket, or
// with --no-websocket (window.WebSocket removed) its xhr-polling fallback).
// Chromium ($CHROMIUM, Debian's /usr/lib/chromium/chromium, or chromium on PATH) runs
// headless and is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: no
// port, no npm package). stdout: one JSON line per event: status (Meteor.status() fields),
// ddp (connected, with its session and SockJS transport), call, sub, armed, net (DDP
// requests and their answers), exception, and last `result` {ok, ...}; exit 0 when ok.
'use strict';
const childProcess = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const HERE = __dirname;
const HOME = process.env.DDP_PEERS_HOME || path.join(os.homedir(), '.cache', 'ddp-monitor-peers');
const BUILD = path.join(HOME, 'meteor-browser', 'build');
const T0 = Date.now();

function usage(msg) {
  process.stderr.write('run.js: ' + msg + '\nusage: run.js http://HOST:PORT [--scenario basic|close] [--n N] [--no-websocket] [--timeout S]\n');
  process.exit(2);
}
const opts = { url: null, scenario: 'basic', n: 5, noWebsocket: false, timeout: 60 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--scenario') opts.scenario = process.argv[++i];
  else if (a === '--n') opts.n = Number(process.argv[++i]);
  else if (a === '--timeout') opts.timeout = Number(process.argv[++i]);
  else if (a === '--no-websocket') opts.noWebsocket = true;
  else if (!opts.url && /^https?:\/\//.test(a)) opts.url = a.replace(/\/?$/, '/');
  else usage('unexpected argument ' + a);
}
if (!opts.url) usage('URL missing');
if (!['basic', 'close'].includes(opts.scenario)) usage('unknown scenario ' + opts.scenario);

let done = false;
function emit(event, obj) {
  if (done) return;
  if (event === 'result') done = true;
  process.stdout.write(JSON.stringify(Object.assign({ t: Date.now() - T0, event }, obj || {})) + '\n');
}

const manifestFile = path.join(BUILD, 'manifest.json');
if (!fs.existsSync(manifestFile)) { process.stderr.write('run.js: ' + manifestFile + ' missing: run install.sh\n'); process.exit(3); }
const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));

function findChromium() {
  for (const c of [process.env.CHROMIUM, '/usr/lib/chromium/chromium']) if (c && fs.existsSync(c)) return c;
  for (const name of ['chromium', 'chromium-browser']) {
    for (const dir of (process.env.PATH || '').split(':')) if (dir && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  process.stderr.write('run.js: no chromium (run install.sh or set CHROMIUM)\n');
  process.exit(3);
}

let pageOrigin = null;
function pageHtml() {
  const js = (v) => JSON.stringify(v).replace(/</g, '\\u003c');
  const rc = { meteorRelease: 'METEOR@1.9.3', meteorEnv: { NODE_ENV: 'production', TEST_METADATA: '{}' },
    PUBLIC_SETTINGS: {}, ROOT_URL: pageOrigin + '/', ROOT_URL_PATH_PREFIX: '', appId: 'ddp-monitor-browser-peer',
    isModern: true, DDP_DEFAULT_CONNECTION_URL: opts.url };
  const scripts = manifest.packages.map((p) => (p.name === 'ddp-client' ? '<script src="/pre-ddp.js"></script>\n' : '') +
    '<script src="/packages/' + p.file + '"></script>').join('\n');
  return '<!DOCTYPE html><html><head><meta charset="utf-8"><title>meteor browser peer</title>\n<script>' +
    '__meteor_runtime_config__ = ' + js(rc) + ';\nwindow.__harness_config__ = ' + js({ scenario: opts.scenario, n: opts.n }) +
    ';</script>\n' + scripts + '\n<script src="/harness.js"></script></head><body></body></html>\n';
}
const server = http.createServer((req, res) => {
  res.setHeader('Cache-Control', 'no-store');
  const u = req.url.split('?')[0];
  if (u === '/') { res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }); return res.end(pageHtml()); }
  let file = null;
  if (u === '/harness.js' || u === '/pre-ddp.js') file = path.join(HERE, 'page', u.slice(1));
  const m = /^\/packages\/([\w.-]+\.js)$/.exec(u);
  if (m && manifest.packages.some((p) => p.file === m[1])) file = path.join(BUILD, m[1]);
  if (!file) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { 'Content-Type': 'application/javascript; charset=utf-8' });
  fs.createReadStream(file).pipe(res);
});

class CDP {
  constructor(out, inp) {
    this.out = out; this.id = 0; this.pending = new Map(); this.listeners = [];
    let buf = '';
    inp.setEncoding('utf8');
    inp.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\0')) >= 0) {
        const msg = JSON.parse(buf.slice(0, i)); buf = buf.slice(i + 1);
        if (msg.id !== undefined && this.pending.has(msg.id)) {
          const p = this.pending.get(msg.id); this.pending.delete(msg.id);
          if (msg.error) p.reject(new Error(msg.error.message)); else p.resolve(msg.result);
        } else if (msg.method) this.listeners.forEach((l) => l(msg));
      }
    });
    out.on('error', () => {});
  }
  send(method, params, sessionId) {
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.out.write(JSON.stringify(Object.assign({ id, method, params: params || {} }, sessionId ? { sessionId } : {})) + '\0');
    });
  }
}

let chrome = null;
let profile = null;
async function main() {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  pageOrigin = 'http://127.0.0.1:' + server.address().port;
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'meteor-browser-'));
  const args = ['--headless', '--remote-debugging-pipe', '--user-data-dir=' + profile, '--disable-gpu',
    '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-extensions', '--disable-breakpad',
    '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--mute-audio',
    '--password-store=basic', '--use-mock-keychain'];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  args.push('about:blank');
  chrome = childProcess.spawn(findChromium(), args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true });
  chrome.on('exit', (code) => finish(false, 'chromium exited (' + code + ')'));
  const cdp = new CDP(chrome.stdio[3], chrome.stdio[4]);
  const { targetInfos } = await cdp.send('Target.getTargets');
  const page = targetInfos.find((t) => t.type === 'page');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: page.targetId, flatten: true });
  const S = (method, params) => cdp.send(method, params, sessionId);
  const requests = new Map();
  cdp.listeners.push((msg) => {
    if (msg.sessionId !== sessionId) return;
    const p = msg.params;
    if (msg.method === 'Runtime.bindingCalled' && p.name === '__harness_report') {
      const m = JSON.parse(p.payload);
      const ev = m.event; delete m.event;
      if (ev === 'done') finish(m.ok, m.reason, m); else emit(ev, m);
    } else if (msg.method === 'Runtime.exceptionThrown') {
      emit('exception', { text: p.exceptionDetails.exception ? p.exceptionDetails.exception.description : p.exceptionDetails.text });
    } else if (msg.method === 'Network.requestWillBeSent' && /\/(sockjs|websocket)/.test(p.request.url)) {
      requests.set(p.requestId, p.request);
    } else if (msg.method === 'Network.responseReceived' && requests.has(p.requestId)) {
      const r = requests.get(p.requestId);
      emit('net', { method: r.method, path: new URL(r.url).pathname, status: p.response.status });
    }
  });
  await S('Runtime.enable');
  await S('Page.enable');
  await S('Network.enable');
  await S('Runtime.addBinding', { name: '__harness_report' });
  if (opts.noWebsocket) await S('Page.addScriptToEvaluateOnNewDocument', { source: 'delete window.WebSocket; delete window.MozWebSocket;' });
  await S('Page.navigate', { url: pageOrigin + '/' });
  setTimeout(() => finish(false, 'timeout after ' + opts.timeout + ' s'), opts.timeout * 1000).unref();
}

let finishing = false;
function finish(ok, reason, extra) {
  if (finishing) return;
  finishing = true;
  emit('result', Object.assign({ ok: !!ok }, reason ? { reason } : {}, extra || {}));
  shutdown();
  process.exit(ok ? 0 : 1);
}
function shutdown() {
  try { server.close(); } catch (e) { /* closing anyway */ }
  // Chromium's helpers share the process group spawn() made (detached): end them all.
  if (chrome) { try { process.kill(-chrome.pid, 'SIGKILL'); } catch (e) { /* gone */ } }
  if (profile) { try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* best effort */ } }
}
process.on('SIGTERM', () => finish(false, 'SIGTERM'));
process.on('SIGINT', () => finish(false, 'SIGINT'));
process.on('exit', shutdown);
main().catch((e) => finish(false, 'driver error: ' + (e && e.stack || e)));
