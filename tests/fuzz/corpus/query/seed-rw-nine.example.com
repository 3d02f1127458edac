2a00:1450:4001::3
user@nine.example.com
mail.nine.example.com
z0 s
