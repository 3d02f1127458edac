2a00:1450:4001::3
user@_netblocks2.google.example.com
mail._netblocks2.google.example.com
z0 s
