"""The DynamoDB table: items, keys, reads and transactions. Never imports use cases or pages."""
