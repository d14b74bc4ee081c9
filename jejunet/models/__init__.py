"""The model registry and model inspection."""
