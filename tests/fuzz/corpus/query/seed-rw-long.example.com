IPv6:2001:db8::3
user@long.example.com
mail.long.example.com
z0 s
