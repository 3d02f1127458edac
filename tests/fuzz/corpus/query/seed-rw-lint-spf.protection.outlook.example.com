IPv6:2001:db8::3
user@spf.protection.outlook.example.com
h
z0 l
