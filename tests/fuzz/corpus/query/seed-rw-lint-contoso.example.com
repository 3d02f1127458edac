192.0.2.3
user@contoso.example.com
h
z0 l c5
