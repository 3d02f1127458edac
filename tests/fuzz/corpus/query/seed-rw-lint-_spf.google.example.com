1.2.3.4
user@_spf.google.example.com
h
z0 l c5
