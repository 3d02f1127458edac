::ffff:1.2.3.4
user@_netblocks3.google.example.com
h
z0 l
