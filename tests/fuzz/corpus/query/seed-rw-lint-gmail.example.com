[1.2.3.4]
user@gmail.example.com
h
z0 l
