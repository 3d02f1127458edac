::ffff:1.2.3.4
user@i5.max.example.com
mail.i5.max.example.com
z0
