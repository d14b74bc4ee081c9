"""The `jejunet` command line: thin wrappers over the library."""
