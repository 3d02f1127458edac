::ffff:1.2.3.4
user@i5.max.example.com
h
z0 l c5
