2a00:1450:4001::3
user@nullmx.example.com
h
z0 l c5
