IPv6:2001:db8::3
user@empty.example.com
mail.empty.example.com
z0 s
