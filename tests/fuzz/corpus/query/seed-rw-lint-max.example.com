::ffff:1.2.3.4
user@max.example.com
h
z0 l
