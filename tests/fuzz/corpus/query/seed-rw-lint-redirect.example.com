::ffff:1.2.3.4
user@redirect.example.com
h
z0 l
