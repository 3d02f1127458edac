IPv6:2001:db8::3
user@long.example.com
h
z0 l
