[1.2.3.4]
user@i0.max.example.com
mail.i0.max.example.com
z0 t
