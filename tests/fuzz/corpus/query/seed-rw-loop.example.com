[1.2.3.4]
user@loop.example.com
mail.loop.example.com
z0 t
