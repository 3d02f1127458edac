1.2.3.4
user@void.example.com
h
z0 l
