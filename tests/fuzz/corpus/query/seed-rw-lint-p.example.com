2a00:1450:4001::3
user@p.example.com
h
z0 l
