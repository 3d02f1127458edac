2a00:1450:4001::3
user@p.example.com
mail.p.example.com
z0 s
