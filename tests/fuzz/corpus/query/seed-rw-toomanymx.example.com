192.0.2.3
user@toomanymx.example.com
mail.toomanymx.example.com
z0 t
