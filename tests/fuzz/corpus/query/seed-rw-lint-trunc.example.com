2a00:1450:4001::3
user@trunc.example.com
h
z0 l
