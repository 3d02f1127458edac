1.2.3.4
user@i8.max.example.com
mail.i8.max.example.com
z0
