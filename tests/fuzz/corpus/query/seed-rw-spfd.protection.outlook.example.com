1.2.3.4
user@spfd.protection.outlook.example.com
mail.spfd.protection.outlook.example.com
z0
