192.0.2.3
user@two.example.com
h
z0 l
