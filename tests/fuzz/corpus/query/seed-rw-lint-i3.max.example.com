192.0.2.3
user@i3.max.example.com
h
z0 l
