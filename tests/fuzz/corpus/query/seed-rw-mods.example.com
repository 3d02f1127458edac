[1.2.3.4]
user@mods.example.com
mail.mods.example.com
z0 t
