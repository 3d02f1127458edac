2a00:1450:4001::3
user@_netblocks2.google.example.com
h
z0 l
