"""The commitments feature: write and read use cases, the importer and its commands."""
