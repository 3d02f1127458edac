IPv6:2001:db8::3
user@i7.max.example.com
h
z0 l
