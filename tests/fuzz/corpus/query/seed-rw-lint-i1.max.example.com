IPv6:2001:db8::3
user@i1.max.example.com
h
z0 l
