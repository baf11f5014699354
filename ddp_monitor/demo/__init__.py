"""The embedded demo application: a DDP server with something moving on every panel.

``server`` registers the methods and publications (``create_demo_server``),
``accounts`` Meteor's login and logout, ``javascript`` the coercions the
Meteor scenario relies on, and ``names`` the one list of what it offers.
Importing this package loads nothing: the window imports ``names`` at start-up
and the server only when it hosts the demo.
"""
