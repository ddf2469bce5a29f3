"""The live pipeline: capture thread → newest-frame mailbox → paced publish loop → sinks."""
