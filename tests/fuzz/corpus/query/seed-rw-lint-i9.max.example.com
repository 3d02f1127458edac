192.0.2.3
user@i9.max.example.com
h
z0 l
