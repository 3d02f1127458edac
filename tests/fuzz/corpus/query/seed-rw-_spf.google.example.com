1.2.3.4
user@_spf.google.example.com
mail._spf.google.example.com
z0
