192.0.2.3
user@i3.max.example.com
mail.i3.max.example.com
z0 t
