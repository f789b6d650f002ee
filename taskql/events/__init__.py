"""Task events: what a committed write tells subscribers, and how it reaches every instance."""
