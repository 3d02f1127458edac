2a00:1450:4001::3
user@c.example.com
h
z0 l
