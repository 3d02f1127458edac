[1.2.3.4]
user@i0.max.example.com
h
z0 l
