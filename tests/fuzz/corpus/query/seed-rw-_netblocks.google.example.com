192.0.2.3
user@_netblocks.google.example.com
mail._netblocks.google.example.com
z0 t
