IPv6:2001:db8::3
user@rloop.example.com
mail.rloop.example.com
z0 s
