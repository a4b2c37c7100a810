"""Normal-return models, fitted for all events at once."""
