"""authstate shared layer: pure logic (merge, expressions), storage, tokens, models and HTTP glue."""
