"""DynamoDB: the client, one table's calls with their error mapping, and the document merge."""
