IPv6:2001:db8::3
user@dotted.example.com
h
z0 l
