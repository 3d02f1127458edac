::ffff:1.2.3.4
user@v6.example.com
h
z0 l
