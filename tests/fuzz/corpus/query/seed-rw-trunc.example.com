2a00:1450:4001::3
user@trunc.example.com
mail.trunc.example.com
z0 s
