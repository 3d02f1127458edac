::ffff:1.2.3.4
user@a.example.com
mail.a.example.com
z0
