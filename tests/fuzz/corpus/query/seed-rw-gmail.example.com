[1.2.3.4]
user@gmail.example.com
mail.gmail.example.com
z0 t
