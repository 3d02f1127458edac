IPv6:2001:db8::3
user@empty.example.com
h
z0 l
