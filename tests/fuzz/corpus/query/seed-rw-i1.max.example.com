IPv6:2001:db8::3
user@i1.max.example.com
mail.i1.max.example.com
z0 s
