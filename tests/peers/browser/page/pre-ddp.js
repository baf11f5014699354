// Loaded after socket-stream-client and before ddp-client (which opens Meteor.connection
// as it loads). Observation only: on a stream's first _launchConnection (its constructor
// calls it, after _initCommon made the instance's statusChanged, the one funnel of every
// status change) it reports the first status (connecting, which no statusChanged
// announces) and wraps that statusChanged, so each change is reported when it happens
// (Tracker would coalesce two changes made in one task); H.onStatus callbacks see them.
(function () {
  'use strict';
  var H = window.__harness = {};
  H.send = function (event, obj) {
    var o = Object.assign({ event: event, pt: Math.round(performance.now() * 10) / 10 }, obj || {});
    window.__harness_report(JSON.stringify(o));
  };
  H.status = function (st) {
    var o = {};
    Object.keys(st).forEach(function (k) { if (st[k] !== undefined) o[k] = st[k]; });
    return o;
  };
  var ClientStream = window.Package.modules.meteorInstall({})('meteor/socket-stream-client').ClientStream;
  var proto = ClientStream.prototype;
  H.statuses = [];
  H.onStatus = [];
  function report(stream) {
    var st = H.status(stream.currentStatus);
    H.statuses.push(st.status);
    H.send('status', st);
    H.onStatus.forEach(function (fn) { fn(st); });
  }
  var launch = proto._launchConnection;
  proto._launchConnection = function () {
    if (!this.__seen) {
      this.__seen = true;
      var stream = this;
      var changed = stream.statusChanged;
      stream.statusChanged = function () { report(stream); return changed.apply(this, arguments); };
      report(stream);
    }
    return launch.apply(this, arguments);
  };
})();
