192.0.2.3
user@toomanymx.example.com
h
z0 l
