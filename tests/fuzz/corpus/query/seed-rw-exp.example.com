1.2.3.4
user@exp.example.com
mail.exp.example.com
z0
