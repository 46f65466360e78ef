"""Reusable torch modules and losses, one file per model family; they know nothing of lessons or views."""
