"""Events: reading and validating events files and frames."""
