1.2.3.4
user@nospf.example.com
mail.nospf.example.com
z0
