192.0.2.3
user@why.exp.example.com
h
z0 l
