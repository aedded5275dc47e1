"""The only SQL: the connection, migrations, and one repository per table group."""
