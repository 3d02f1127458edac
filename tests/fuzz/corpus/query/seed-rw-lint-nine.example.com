2a00:1450:4001::3
user@nine.example.com
h
z0 l
