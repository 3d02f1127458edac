2a00:1450:4001::3
user@c.example.com
mail.c.example.com
z0 s
