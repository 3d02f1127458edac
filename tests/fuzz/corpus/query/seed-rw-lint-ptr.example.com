[1.2.3.4]
user@ptr.example.com
h
z0 l c5
