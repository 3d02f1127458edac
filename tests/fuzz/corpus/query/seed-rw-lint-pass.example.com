1.2.3.4
user@pass.example.com
h
z0 l
