IPv6:2001:db8::3
user@spf.protection.outlook.example.com
mail.spf.protection.outlook.example.com
z0 s
