::ffff:1.2.3.4
user@max.example.com
mail.max.example.com
z0
