192.0.2.3
user@contoso.example.com
mail.contoso.example.com
z0 t
