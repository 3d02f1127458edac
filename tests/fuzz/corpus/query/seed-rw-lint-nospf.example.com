1.2.3.4
user@nospf.example.com
h
z0 l c5
