IPv6:2001:db8::3
user@macro.example.com
mail.macro.example.com
z0 s
