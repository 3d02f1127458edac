1.2.3.4
user@mx.example.com
mail.mx.example.com
z0
