1.2.3.4
user@i2.max.example.com
h
z0 l
