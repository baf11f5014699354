// Appended to tests/peers/meteor/app.js in a private copy of the Meteor peer by
// tests/differential/user_peer.py: setUserId re-runs and universal publications,
// with Meteor's public server API only. tests/differential/test_users.py re-implements
// the same names on ddp-monitor's server and compares the frames.
Meteor.methods({
  setUser: function (id) { this.setUserId(id); return id; },
});

// Universal: like accounts-base's `Meteor.publish(null, ...)` for the user
// document, plus a field of the `shared` document that byUser also publishes.
Meteor.publish(null, function () {
  this.added('things', 'shared', { a: 'universal', u: 1 });
  if (this.userId) this.added('users', this.userId, { username: 'user-' + this.userId });
  this.ready();  // ignored: universal subs never send ready
});

Meteor.publish('byUser', function () {
  var user = this.userId;
  this.added('things', 'same', { title: 'same for everyone' });
  this.added('things', 'shared', { a: 'named', b: 2 });
  if (user) {
    this.added('things', 'mixed', { keep: 1, who: user, onlyUser: true });
    this.added('things', 'mine-' + user, { owner: user });
    this.added('private', 'p1', { secret: 'for ' + user });
  } else {
    this.added('things', 'mixed', { keep: 1, who: null, onlyAnon: true });
    this.added('things', 'anon', { guest: true });
    this.added('guest', 'g1', { hello: 'guest' });
  }
  this.ready();
});

Meteor.publish('failsForUser', function () {
  if (this.userId) throw new Meteor.Error('nope', 'not for users');
  this.ready();
});

Meteor.publish('stopCount', function () {
  var self = this;
  self.onStop(function () { stops.push(self.userId); });
  self.ready();
});
var stops = [];
Meteor.methods({ stops: function () { return stops.splice(0, stops.length); } });
