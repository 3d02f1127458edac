[1.2.3.4]
user@ptr.example.com
mail.ptr.example.com
z0 t
