1.2.3.4
user@exp.example.com
h
z0 l
