1.2.3.4
user@i2.max.example.com
mail.i2.max.example.com
z0
