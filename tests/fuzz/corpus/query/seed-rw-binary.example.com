[1.2.3.4]
user@binary.example.com
mail.binary.example.com
z0 t
