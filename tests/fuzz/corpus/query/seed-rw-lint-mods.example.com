[1.2.3.4]
user@mods.example.com
h
z0 l
