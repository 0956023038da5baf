"""Text front end: sentences, and each sentence's written and spoken forms."""
