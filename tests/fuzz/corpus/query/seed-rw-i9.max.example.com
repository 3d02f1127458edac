192.0.2.3
user@i9.max.example.com
mail.i9.max.example.com
z0 t
