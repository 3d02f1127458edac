IPv6:2001:db8::3
user@i7.max.example.com
mail.i7.max.example.com
z0 s
