[1.2.3.4]
user@loop.example.com
h
z0 l
