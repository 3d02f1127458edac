[1.2.3.4]
user@i6.max.example.com
h
z0 l
