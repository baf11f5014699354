// ddp-monitor's agent: a Meteor server's connections, live, for ddp-monitor's
// Server panel ("Attach to an app"). Server only; off unless a secret is given
// (DDP_MONITOR_AGENT_SECRET or Meteor.settings.ddpMonitorAgent.secret).
Package.describe({
  name: 'ddp-monitor:agent',
  version: '0.1.0',
  summary: "Lists this server's DDP connections, live, for ddp-monitor; close and fault them",
  git: 'https://github.com/ddp-monitor/ddp-monitor',
  documentation: 'README.md',
  debugOnly: false,
  prodOnly: false,
});

Package.onUse(function (api) {
  // Only what both Meteor 1.9 (fibers) and Meteor 3 (async) have; no ecmascript:
  // the file is plain ES2017, which Node 12 and later run as it is. No
  // versionsFrom: one release's constraints would refuse the other's core
  // packages (ddp-server 2.x in 1.9, 3.x in 3.0); an app's own copy in
  // packages/ needs none.
  api.use(['meteor', 'ddp-server'], 'server');
  api.addFiles('agent.js', 'server');
  api.export('DDPMonitorAgent', 'server');
});
