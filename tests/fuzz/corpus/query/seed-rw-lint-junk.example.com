::ffff:1.2.3.4
user@junk.example.com
h
z0 l
