::ffff:1.2.3.4
user@junk.example.com
mail.junk.example.com
z0
