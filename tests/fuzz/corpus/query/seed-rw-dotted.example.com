IPv6:2001:db8::3
user@dotted.example.com
mail.dotted.example.com
z0 s
