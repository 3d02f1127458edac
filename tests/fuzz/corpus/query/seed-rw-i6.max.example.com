[1.2.3.4]
user@i6.max.example.com
mail.i6.max.example.com
z0 t
