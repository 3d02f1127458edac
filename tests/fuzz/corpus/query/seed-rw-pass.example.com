1.2.3.4
user@pass.example.com
mail.pass.example.com
z0
