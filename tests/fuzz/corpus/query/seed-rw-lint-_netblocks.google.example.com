192.0.2.3
user@_netblocks.google.example.com
h
z0 l
