1.2.3.4
user@spfd.protection.outlook.example.com
h
z0 l
