192.0.2.3
user@why.exp.example.com
mail.why.exp.example.com
z0 t
