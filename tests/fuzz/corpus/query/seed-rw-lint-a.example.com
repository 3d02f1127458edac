::ffff:1.2.3.4
user@a.example.com
h
z0 l
