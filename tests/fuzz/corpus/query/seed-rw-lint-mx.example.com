1.2.3.4
user@mx.example.com
h
z0 l
