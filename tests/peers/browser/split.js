#!/usr/bin/env node
// Cuts Meteor 1.9.3's client packages out of steedos-server@2.1.64's web.browser program.
//   node split.js BUNDLE_DIR OUT_DIR
// A Meteor production build ships the whole client as ONE minified file, <hash>.js: each
// package is one top-level statement (`!function(){...Package._define("name",...)}();` or
// `Package._define("name");`) separated by a blank line, in the load order that
// <hash>.stats.json's minifiedBytesByPackage lists. This script splits the file at those
// boundaries, checks each chunk's Package._define name against that order, keeps Meteor's
// packages up to `mongo` (meteor, ..., socket-stream-client, ddp-client, ddp, allow-deny,
// mongo: no app code), takes out the three changes the app vendor made to Meteor's own
// client code (PATCHES: each must match exactly once), compiles each chunk (syntax only)
// and writes OUT_DIR/NN-<name>.js and OUT_DIR/manifest.json (the load order).
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const [bundle, out] = process.argv.slice(2);
const LAST = 'mongo';
const PATCHES = [
  { pkg: 'socket-stream-client', // an extra x-user-id header on every SockJS XHR
    from: 'let c=new URLSearchParams(window.location.search),l="";t&&t.userId&&(l=t.userId());' +
      'let f=l||localStorage.getItem("accounts:userId")||c.get("X-User-Id");' +
      'a.xhr.setRequestHeader("x-user-id",f),',
    to: '' },
  { pkg: 'socket-stream-client', // a ?x_user_id= query on the SockJS websocket URL
    from: 'let u=new URLSearchParams(window.location.search),c="";t&&t.userId&&(c=t.userId());' +
      'let l=c||localStorage.getItem("accounts:userId")||u.get("X-User-Id");' +
      'i.ws=new a(i.url+"?x_user_id=".concat(l))',
    to: 'i.ws=new a(i.url)' },
  { pkg: 'dynamic-import', // reads a global `Steedos` that only their app defines
    from: 'return Steedos&&Steedos.absoluteUrl&&(c=Steedos.absoluteUrl(n)),o&&(c+="key="+o),',
    to: 'return o&&(c+="key="+o),' },
];
function fail(msg) { process.stderr.write('split.js: ' + msg + '\n'); process.exit(1); }

const web = path.join(bundle, 'web.browser');
const program = JSON.parse(fs.readFileSync(path.join(web, 'program.json'), 'utf8'));
const mains = program.manifest.filter((m) => m.type === 'js' && m.where === 'client' && !m.path.includes('/'));
if (mains.length !== 1) fail('expected one merged client file, found ' + mains.length);
const file = path.join(web, mains[0].path);
const js = fs.readFileSync(file, 'utf8');
const order = Object.keys(JSON.parse(fs.readFileSync(file.replace(/\.js$/, '.stats.json'), 'utf8')).minifiedBytesByPackage);

const bounds = [0];
const re = /;\n\n(?=!function\(\)\{|Package\._define\(")/g;
let m;
while ((m = re.exec(js))) bounds.push(m.index + 1);
bounds.push(js.length);
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const packages = [];
for (let i = 0; i + 1 < bounds.length; i++) {
  let text = js.slice(bounds[i], bounds[i + 1]).replace(/^\n+|\n+$/g, '');
  const names = [...text.matchAll(/Package\._define\("([^"]+)"/g)].map((x) => x[1]);
  const name = names[names.length - 1];
  if (!name || order[i] !== 'packages/' + name.replace(/:/g, '_') + '.js') fail('chunk ' + i + ' is ' + name + ', stats say ' + order[i]);
  for (const p of PATCHES.filter((x) => x.pkg === name)) {
    if (text.split(p.from).length !== 2) fail('a patch for ' + name + ' does not match exactly once');
    text = text.replace(p.from, () => p.to);
  }
  const out_name = String(i).padStart(2, '0') + '-' + name.replace(/:/g, '_') + '.js';
  try { new vm.Script(text, { filename: out_name }); } catch (e) { fail(out_name + ' does not compile: ' + e.message); }
  fs.writeFileSync(path.join(out, out_name), text);
  packages.push({ name, file: out_name });
  if (name === LAST) break;
}
if (packages[packages.length - 1].name !== LAST) fail(LAST + ' not found');
fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({ packages }, null, 1));
process.stdout.write('split.js: ' + packages.length + ' packages, ' + packages[0].name + ' .. ' + LAST + '\n');
