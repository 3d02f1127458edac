2a00:1450:4001::3
user@i4.max.example.com
h
z0 l
