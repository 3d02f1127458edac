1.2.3.4
user@void.example.com
mail.void.example.com
z0
