2a00:1450:4001::3
user@nullmx.example.com
mail.nullmx.example.com
z0 s
