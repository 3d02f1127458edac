::ffff:1.2.3.4
user@v6.example.com
mail.v6.example.com
z0
