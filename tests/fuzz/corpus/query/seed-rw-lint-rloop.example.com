IPv6:2001:db8::3
user@rloop.example.com
h
z0 l c5
