"""The reader-question corpus we write and the reader model trained from it."""
