::ffff:1.2.3.4
user@redirect.example.com
mail.redirect.example.com
z0
