192.0.2.3
user@two.example.com
mail.two.example.com
z0 t
