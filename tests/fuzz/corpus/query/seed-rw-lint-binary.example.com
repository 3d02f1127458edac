[1.2.3.4]
user@binary.example.com
h
z0 l
